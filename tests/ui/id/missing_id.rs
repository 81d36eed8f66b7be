use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    number: u64,
    customer_name: String,
}

fn main() {}
