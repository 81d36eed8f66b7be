//! Trait bounds for generic types: each field type that mentions a type
//! parameter gets a bound on the trait its role needs.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Generics, Ident, Type, WhereClause, WherePredicate, parse_quote};

/// Collects `FieldType: Trait` predicates for the generated impl.
pub struct Bounds<'a> {
    params: Vec<&'a Ident>,
    predicates: Vec<WherePredicate>,
}

impl<'a> Bounds<'a> {
    pub fn new(generics: &'a Generics) -> Self {
        Bounds {
            params: generics.type_params().map(|param| &param.ident).collect(),
            predicates: Vec::new(),
        }
    }

    /// Requires `ty: bound` when `ty` mentions a type parameter; a concrete
    /// type is checked where it is used instead, with an error on the field.
    pub fn require(&mut self, ty: &Type, bound: TokenStream) {
        if !self.params.is_empty() && mentions(ty.to_token_stream(), &self.params) {
            self.predicates.push(parse_quote!(#ty: #bound));
        }
    }

    /// The input's where clause with the collected predicates added.
    pub fn where_clause(self, generics: &Generics) -> Option<WhereClause> {
        let mut clause = generics.where_clause.clone();
        if !self.predicates.is_empty() {
            clause
                .get_or_insert_with(|| parse_quote!(where))
                .predicates
                .extend(self.predicates);
        }
        clause
    }
}

fn mentions(tokens: TokenStream, params: &[&Ident]) -> bool {
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
        TokenTree::Group(group) => mentions(group.stream(), params),
        TokenTree::Punct(_) | TokenTree::Literal(_) => false,
    })
}
