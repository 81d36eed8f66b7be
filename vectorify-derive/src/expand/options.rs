//! A fieldless enum becomes `impl MetadataValue`: an `enum` metadata type
//! whose options are the variants' serde names.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Path;

use crate::ast::{Input, Variant};

pub fn expand(input: &Input<'_>, variants: &[Variant<'_>], krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let serde = quote!(#private::serde);
    let ident = input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let options: Vec<_> = variants.iter().map(|variant| &variant.option).collect();
    let variant_idents = variants.iter().map(|variant| variant.ident);

    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::MetadataValue for #ident #ty_generics #where_clause {
            #[inline]
            fn metadata_type() -> #krate::MetadataType {
                #private::enum_options(&[#(#options),*])
            }

            #[inline]
            fn serialize_value<__S: #serde::Serializer>(
                &self,
                __serializer: __S,
            ) -> #private::Result<__S::Ok, __S::Error> {
                let __option = match self {
                    #(#ident::#variant_idents => #options,)*
                };
                #serde::Serializer::serialize_str(__serializer, __option)
            }
        }
    }
}
