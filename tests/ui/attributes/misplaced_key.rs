use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id, collection = "invoices")]
    id: u64,
}

fn main() {}
