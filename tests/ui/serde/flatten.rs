use serde::Serialize;
use vectorify_core::Vectorify;

#[derive(Serialize)]
struct Address {
    city: String,
}

#[derive(Serialize, Vectorify)]
struct Customer {
    #[vectorify(id)]
    id: u64,
    #[serde(flatten)]
    address: Address,
}

fn main() {}
