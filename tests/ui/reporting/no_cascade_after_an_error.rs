use vectorify_core::Vectorify;

#[derive(Vectorify)]
struct Invoice {
    #[vectorify(idd)]
    id: u64,
}

fn slug_of<T: Vectorify>() -> &'static str {
    T::SLUG
}

fn main() {
    let _ = slug_of::<Invoice>();
}
