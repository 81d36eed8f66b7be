use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(id)]
    id: f64,
}

fn main() {}
