use vectorify_core::Vectorify;

#[derive(Vectorify)]
#[serde(rename_all = "camelcase")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
}

fn main() {}
