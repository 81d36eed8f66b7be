use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    total: String,
    #[serde(rename = "total")]
    amount: String,
}

fn main() {}
