use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[vectorify(collection = "Line Items")]
struct LineItem {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
