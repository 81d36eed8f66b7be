use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(url = "https://app.example.com/invoices/{number}")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    numbr: u64,
}

fn main() {}
