use vectorify_core::Vectorify;

#[derive(Vectorify)]
enum Status {}

fn main() {}
