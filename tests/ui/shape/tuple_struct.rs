use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice(u64, String);

fn main() {}
