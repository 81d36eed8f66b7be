use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id, metadata)]
    id: String,
}

fn main() {}
