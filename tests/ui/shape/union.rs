use vectorify_core::Vectorify;

#[derive(Vectorify)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {}
