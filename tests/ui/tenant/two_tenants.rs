use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(tenant)]
    account: u64,
    #[vectorify(tenant)]
    team: u64,
}

fn main() {}
