use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id = true)]
    id: u64,
}

fn main() {}
