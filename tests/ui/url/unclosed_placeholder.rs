use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(url = "https://app.example.com/invoices/{id")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
