use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(collection = "Invoices!", url = "https://x.test/{nmber}")]
struct Invoice {
    number: u64,
    #[vectorify(metdata)]
    status: String,
    #[vectorify(tenant)]
    a: u64,
    #[vectorify(tenant)]
    b: u64,
}

fn main() {}
