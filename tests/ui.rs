//! Mistakes in `#[derive(Vectorify)]` are compile errors on the offending
//! token that say the fix. One case per file under `tests/ui/<topic>/`;
//! refresh the expected output with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("../tests/ui/*/*.rs");
}
