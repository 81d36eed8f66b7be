use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metdata)]
    status: String,
}

fn main() {}
