use vectorify_core::Vectorify;

#[derive(Vectorify)]
enum Status {
    Draft,
    Sent { at: String },
}

fn main() {}
