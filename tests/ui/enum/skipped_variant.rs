use vectorify_core::Vectorify;

#[derive(Vectorify)]
enum Status {
    Draft,
    #[serde(skip)]
    Internal,
}

fn main() {}
