//! Trait bounds: each field type gets a bound on the trait its role needs.
//!
//! For a generic type the bound is what makes the impl hold for the right
//! parameters. For a concrete `data` or metadata type it moves the check to
//! one place, the field's type, so a type that does not fit gives one error
//! there, with the trait's message, instead of one for every use in the
//! generated code.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Ident, Type};

/// Collects `FieldType: Trait` predicates for the generated impl, as tokens:
/// they go straight into the output, so nothing is parsed back.
pub struct Bounds<'a> {
    params: Vec<&'a Ident>,
    predicates: Vec<TokenStream>,
}

impl<'a> Bounds<'a> {
    pub fn new(generics: &'a Generics) -> Self {
        Bounds {
            params: generics.type_params().map(|param| &param.ident).collect(),
            predicates: Vec::new(),
        }
    }

    /// Requires `ty: bound`, spanned on the type, whatever the type.
    pub fn require(&mut self, ty: &Type, bound: TokenStream) {
        let bound = respan(bound, ty.span());
        self.predicates
            .push(quote_spanned!(ty.span()=> #ty: #bound));
    }

    /// Requires `ty: bound` only where `ty` names a type parameter: for the
    /// id, tenant and url, whose single use in the generated code already
    /// reports a concrete type that does not fit, once, on the field.
    pub fn require_if_generic(&mut self, ty: &Type, bound: TokenStream) {
        if mentions(ty.to_token_stream(), &self.params) {
            self.require(ty, bound);
        }
    }

    /// The input's where clause with the collected predicates added.
    pub fn where_clause(self, generics: &Generics) -> TokenStream {
        let existing = generics
            .where_clause
            .iter()
            .flat_map(|clause| clause.predicates.iter());
        let predicates = self.predicates;
        if generics.where_clause.is_none() && predicates.is_empty() {
            return TokenStream::new();
        }
        quote!(where #(#existing,)* #(#predicates,)*)
    }
}

/// Whether the tokens of a type name one of the parameters.
fn mentions(tokens: TokenStream, params: &[&Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
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
