use vectorify_core::Vectorify;

struct Money(u64);

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    amount: Money,
}

fn main() {}
