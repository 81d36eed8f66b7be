//! A struct becomes `impl Vectorify`: slug, schema, id, tenant, url, and the
//! `data` and `metadata` objects written straight from the fields.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{LitStr, Path};

use super::bounds::Bounds;
use crate::ast::{Field, Input, Role};
use crate::case::default_slug;
use crate::url_template::{self, Segment};

/// The most elements of one tuple of fields, as `vectorify_core` implements
/// its field traits for tuples up to this length.
const TUPLE_FIELDS: usize = 12;

pub fn expand(input: &Input<'_>, fields: &[Field<'_>], krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let ident = input.ident;
    let mut bounds = Bounds::new(input.generics);

    let slug = match &input.attrs.collection {
        Some(lit) => lit.clone(),
        None => LitStr::new(&default_slug(&ident.to_string()), ident.span()),
    };

    let schema = fields.iter().filter_map(|field| {
        let Role::Value {
            metadata: Some(_), ..
        } = &field.role
        else {
            return None;
        };
        let (ty, key) = (field.ty, &field.key);
        Some(quote_spanned! {ty.span()=>
            .with_metadata(#key, #private::metadata_type::<#ty>())
        })
    });
    for field in fields {
        if let Role::Value {
            metadata: Some(_), ..
        } = field.role
        {
            bounds.require(field.ty, quote!(#krate::MetadataValue));
        }
    }

    let item_id = fields
        .iter()
        .find(|field| matches!(field.role, Role::Id(_)))
        .map(|field| {
            let (ty, member) = (field.ty, field.ident);
            bounds.require_if_generic(ty, quote!(#krate::ItemId));
            quote_spanned! {ty.span()=>
                #[inline]
            fn item_id(&self) -> #private::Cow<'_, str> {
                    <#ty as #krate::ItemId>::item_id(&self.#member)
                }
            }
        });

    let tenant = fields
        .iter()
        .find(|field| matches!(field.role, Role::Tenant(_)))
        .map(|field| {
            let (ty, member) = (field.ty, field.ident);
            bounds.require_if_generic(ty, quote!(#krate::TenantKey));
            quote_spanned! {ty.span()=>
                #[inline]
            fn tenant(&self) -> #private::Option<#krate::Tenant> {
                    <#ty as #krate::TenantKey>::tenant(&self.#member)
                }
            }
        });

    let url = url_method(input, fields, krate, &mut bounds);
    let data = data_method(fields, ident, krate, &mut bounds);
    let with_wrappers = serialize_with_wrappers(input, fields, krate);
    let metadata = metadata_method(fields, krate);

    let (impl_generics, ty_generics, _) = input.generics.split_for_impl();
    let where_clause = bounds.where_clause(input.generics);
    quote! {
        #with_wrappers

        #[automatically_derived]
        impl #impl_generics #krate::Vectorify for #ident #ty_generics #where_clause {
            const SLUG: &'static str = #slug;

            #[inline]
            fn collection() -> #krate::Collection {
                #krate::Collection::new(#slug) #(#schema)*
            }

            #item_id
            #tenant
            #url
            #data
            #metadata
        }
    }
}

/// `fn url`: from the `#[vectorify(url)]` field, or the container's template
/// filled from the fields' `Display`.
fn url_method(
    input: &Input<'_>,
    fields: &[Field<'_>],
    krate: &Path,
    bounds: &mut Bounds<'_>,
) -> Option<TokenStream> {
    let private = quote!(#krate::__private);
    if let Some(field) = fields
        .iter()
        .find(|field| matches!(field.role, Role::Url(_)))
    {
        let (ty, member) = (field.ty, field.ident);
        bounds.require_if_generic(ty, quote!(#krate::ItemUrl));
        return Some(quote_spanned! {ty.span()=>
            #[inline]
            fn url(&self) -> #private::Option<#private::Cow<'_, str>> {
                <#ty as #krate::ItemUrl>::item_url(&self.#member)
            }
        });
    }

    let template = input.attrs.url_template.as_ref()?;
    // The template was checked before expansion; an unparsable one never
    // gets here.
    let segments = url_template::parse(&template.value()).ok()?;
    let mut format = String::new();
    let mut args = Vec::new();
    for segment in segments {
        match segment {
            Segment::Text(text) => format.push_str(&text.replace('{', "{{").replace('}', "}}")),
            Segment::Field(name) => {
                let field = fields.iter().find(|field| field.name == name)?;
                bounds.require_if_generic(field.ty, quote!(::core::fmt::Display));
                format.push_str("{}");
                let member = field.ident;
                args.push(quote_spanned!(template.span()=> self.#member));
            }
        }
    }
    let format = LitStr::new(&format, template.span());
    Some(quote! {
        #[inline]
        fn url(&self) -> #private::Option<#private::Cow<'_, str>> {
            #private::Some(#private::Cow::Owned(#private::format!(#format #(, #args)*)))
        }
    })
}

/// `fn serialize_data`: the fields that go into `data`, as serde would write
/// them, less `None`s. Every field is one element of a tuple handed to one
/// generic function, which keeps the code the compiler checks per struct
/// small.
fn data_method(
    fields: &[Field<'_>],
    ident: &syn::Ident,
    krate: &Path,
    bounds: &mut Bounds<'_>,
) -> TokenStream {
    let private = quote!(#krate::__private);
    let serde = quote!(#private::serde);
    let mut elements = Vec::new();

    for (index, field) in fields.iter().enumerate() {
        let Role::Value { data: true, .. } = field.role else {
            continue;
        };
        let (member, key, ty) = (field.ident, &field.key, field.ty);
        let option_inner = field.option_inner();

        let mut element = match (&field.serialize_with, option_inner) {
            (Some(_), _) => {
                let wrapper = with_wrapper_name(index);
                let element = quote! {
                    #private::field(
                        #key,
                        &#wrapper { value: &self.#member, marker: ::core::marker::PhantomData },
                    )
                };
                match option_inner {
                    Some(_) => quote!(#element.when(#private::Option::is_some(&self.#member))),
                    None => element,
                }
            }
            (None, Some(inner)) => {
                bounds.require(inner, quote!(#serde::Serialize));
                quote_spanned!(inner.span()=> #private::optional_field::<#inner>(#key, &self.#member))
            }
            (None, None) => {
                bounds.require(ty, quote!(#serde::Serialize));
                quote_spanned!(ty.span()=> #private::field::<#ty>(#key, &self.#member))
            }
        };
        if let Some(predicate) = &field.skip_serializing_if {
            element = quote!(#element.when(!#predicate(&self.#member)));
        }
        elements.push(element);
    }

    let name = ident.to_string();
    let fields = nested_tuple(elements);
    quote! {
        fn serialize_data<__S: #serde::Serializer>(
            &self,
            __serializer: __S,
        ) -> #private::Result<__S::Ok, __S::Error> {
            #private::serialize_fields(__serializer, #name, #fields)
        }
    }
}

/// The elements as one tuple, nested where there are more than a tuple of
/// `Fields` takes.
fn nested_tuple(mut elements: Vec<TokenStream>) -> TokenStream {
    while elements.len() > TUPLE_FIELDS {
        elements = elements
            .chunks(TUPLE_FIELDS)
            .map(|chunk| quote!((#(#chunk,)*)))
            .collect();
    }
    quote!((#(#elements,)*))
}

fn with_wrapper_name(index: usize) -> syn::Ident {
    format_ident!("__SerializeWith{}", index, span = Span::mixed_site())
}

/// One wrapper type per `serialize_with` field: it has the struct's generics
/// and calls the user's function from `Serialize`.
fn serialize_with_wrappers(input: &Input<'_>, fields: &[Field<'_>], krate: &Path) -> TokenStream {
    let private = quote!(#krate::__private);
    let serde = quote!(#private::serde);
    let ident = input.ident;
    let mut generics = input.generics.clone();
    generics.params.insert(0, syn::parse_quote!('__a));
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    let (_, struct_generics, _) = input.generics.split_for_impl();

    fields
        .iter()
        .enumerate()
        .filter(|(_, field)| matches!(field.role, Role::Value { data: true, .. }))
        .filter_map(|(index, field)| {
            let function = field.serialize_with.as_ref()?;
            let (name, ty) = (with_wrapper_name(index), field.ty);
            Some(quote! {
                struct #name #impl_generics #where_clause {
                    value: &'__a #ty,
                    marker: ::core::marker::PhantomData<&'__a #ident #struct_generics>,
                }

                #[automatically_derived]
                impl #impl_generics #serde::Serialize for #name #ty_generics #where_clause {
                    fn serialize<__S: #serde::Serializer>(
                        &self,
                        __serializer: __S,
                    ) -> #private::Result<__S::Ok, __S::Error> {
                        #function(self.value, __serializer)
                    }
                }
            })
        })
        .collect()
}

/// `fn serialize_metadata`: the metadata fields that are present, written
/// through `MetadataValue`.
fn metadata_method(fields: &[Field<'_>], krate: &Path) -> Option<TokenStream> {
    let private = quote!(#krate::__private);
    let serde = quote!(#private::serde);
    let elements: Vec<_> = fields
        .iter()
        .filter(|field| {
            matches!(
                field.role,
                Role::Value {
                    metadata: Some(_),
                    ..
                }
            )
        })
        .map(|field| {
            let (member, key, ty) = (field.ident, &field.key, field.ty);
            quote_spanned!(ty.span()=> #private::metadata_field::<#ty>(#key, &self.#member))
        })
        .collect();
    if elements.is_empty() {
        return None;
    }
    let fields = nested_tuple(elements);
    Some(quote! {
        fn serialize_metadata<__S: #serde::Serializer>(
            &self,
            __serializer: __S,
        ) -> #private::Result<__S::Ok, __S::Error> {
            #private::serialize_fields(__serializer, "metadata", #fields)
        }
    })
}
