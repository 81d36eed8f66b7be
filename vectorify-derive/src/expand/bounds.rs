//! Trait bounds: each field type gets a bound on the trait its role needs.
//!
//! For a generic type the bound is what makes the impl hold for the right
//! parameters. For a concrete type it moves the check to one place, the
//! field's type, so a type that does not fit gives one error there, with the
//! trait's message, instead of one for every use in the generated code.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote_spanned;
use syn::spanned::Spanned;
use syn::{Generics, Type, WhereClause, WherePredicate};

/// Collects `FieldType: Trait` predicates for the generated impl.
pub struct Bounds {
    predicates: Vec<WherePredicate>,
}

impl Bounds {
    pub fn new() -> Self {
        Bounds {
            predicates: Vec::new(),
        }
    }

    /// Requires `ty: bound`, spanned on the type.
    pub fn require(&mut self, ty: &Type, bound: TokenStream) {
        let bound = respan(bound, ty.span());
        let predicate = quote_spanned!(ty.span()=> #ty: #bound);
        if let Ok(predicate) = syn::parse2(predicate) {
            self.predicates.push(predicate);
        }
    }

    /// The input's where clause with the collected predicates added.
    pub fn where_clause(self, generics: &Generics) -> Option<WhereClause> {
        let mut clause = generics.where_clause.clone();
        if !self.predicates.is_empty() {
            clause
                .get_or_insert_with(|| syn::parse_quote!(where))
                .predicates
                .extend(self.predicates);
        }
        clause
    }
}

/// Gives every token of `tokens` the span `span`, so that the compiler
/// reports an unmet bound on the field's type rather than on the derive.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
