use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(collection = invoices)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
