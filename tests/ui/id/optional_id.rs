use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: Option<u64>,
}

fn main() {}
