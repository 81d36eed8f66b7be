//! From the parsed model to the generated impls.

mod bounds;
mod item;
mod options;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Path, parse_quote};

use crate::ast::{Body, Input};
use crate::check;
use crate::diagnostics::Diagnostics;

/// Expands `#[derive(Vectorify)]`: the impl, or every mistake found together
/// with a stub impl so that the user sees only the real errors.
pub fn derive(input: &DeriveInput) -> TokenStream {
    let mut diag = Diagnostics::default();
    let parsed = Input::from_syn(input, &mut diag);
    if let Some(parsed) = &parsed {
        check::check(parsed, &mut diag);
    }
    let krate = parsed
        .as_ref()
        .and_then(|parsed| parsed.attrs.krate.clone())
        .unwrap_or_else(|| parse_quote!(::vectorify_core));

    match parsed {
        Some(parsed) if diag.is_empty() => {
            let body = match &parsed.body {
                Body::Struct(fields) => item::expand(&parsed, fields, &krate),
                Body::Enum(variants) => options::expand(&parsed, variants, &krate),
            };
            wrap(body)
        }
        _ => {
            let errors = diag.into_compile_errors();
            let stub = wrap(stub(input, &krate));
            quote!(#errors #stub)
        }
    }
}

/// Keeps the generated items out of the user's namespace.
fn wrap(body: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications, clippy::all)]
        const _: () = {
            #body
        };
    }
}

/// An impl with the right trait and no real body, emitted after errors so
/// that uses of the type elsewhere do not add errors of their own.
fn stub(input: &DeriveInput, krate: &Path) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let private = quote!(#krate::__private);
    match &input.data {
        Data::Enum(_) => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::MetadataValue for #ident #ty_generics #where_clause {
                fn metadata_type() -> #krate::MetadataType {
                    ::core::unimplemented!()
                }
                fn serialize_value<__S: #private::serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> #private::Result<__S::Ok, __S::Error> {
                    ::core::unimplemented!()
                }
            }
        },
        Data::Struct(_) | Data::Union(_) => quote! {
            #[automatically_derived]
            impl #impl_generics #krate::Vectorify for #ident #ty_generics #where_clause {
                const SLUG: &'static str = "";
                fn collection() -> #krate::Collection {
                    ::core::unimplemented!()
                }
                fn item_id(&self) -> #private::Cow<'_, str> {
                    ::core::unimplemented!()
                }
                fn serialize_data<__S: #private::serde::Serializer>(
                    &self,
                    __serializer: __S,
                ) -> #private::Result<__S::Ok, __S::Error> {
                    ::core::unimplemented!()
                }
            }
        },
    }
}
