//! `#[derive(Vectorify)]`, the derive behind `vectorify_core::Vectorify`.
//!
//! Use it through `vectorify-core`, which re-exports it next to the trait of
//! the same name and documents every attribute.

mod ast;
mod attr;
mod case;
mod check;
mod diagnostics;
mod expand;
mod url_template;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `vectorify_core::Vectorify` for a struct with named fields, or
/// `vectorify_core::MetadataValue` for a fieldless enum.
#[proc_macro_derive(Vectorify, attributes(vectorify, serde))]
pub fn derive_vectorify(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand::derive(&input).into()
}
