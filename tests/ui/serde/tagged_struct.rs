use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[serde(tag = "kind")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
