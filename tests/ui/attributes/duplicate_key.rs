use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(collection = "invoices", collection = "bills")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
