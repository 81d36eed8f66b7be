use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(url)]
    link: u32,
}

fn main() {}
