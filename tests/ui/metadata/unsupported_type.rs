use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    amount: f64,
}

fn main() {}
