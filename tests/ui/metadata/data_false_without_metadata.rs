use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(data = false)]
    notes: String,
}

fn main() {}
