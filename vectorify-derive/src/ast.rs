//! The parsed model of the input type, built once from syn; expansion reads
//! only this.

use syn::ext::IdentExt;
use syn::{Data, DeriveInput, ExprPath, Fields, Generics, Ident, LitStr, Path, Type};

use crate::attr::{self, ContainerAttrs, Level};
use crate::diagnostics::Diagnostics;

pub struct Input<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    pub attrs: ContainerAttrs,
    pub body: Body<'a>,
}

pub enum Body<'a> {
    Struct(Vec<Field<'a>>),
    Enum(Vec<Variant<'a>>),
}

pub struct Field<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The field's name in Rust, without `r#`: what url placeholders name.
    pub name: String,
    /// The key in `data` and `metadata`: the field name after renames.
    pub key: String,
    pub role: Role,
    /// Where the key came from, for errors about duplicate keys.
    pub key_token: Option<LitStr>,
    pub skip_serializing_if: Option<ExprPath>,
    pub serialize_with: Option<ExprPath>,
}

/// What a field is in the item.
pub enum Role {
    /// The item's id; `key` is the `#[vectorify(id)]` path.
    Id(Path),
    Tenant(Path),
    Url(Path),
    /// A value in `data`, in `metadata`, or in both.
    Value {
        data: bool,
        metadata: Option<Path>,
    },
    /// Sent nowhere.
    Skipped,
}

pub struct Variant<'a> {
    pub ident: &'a Ident,
    /// The variant's serde name: the metadata option.
    pub option: String,
}

impl<'a> Input<'a> {
    pub fn from_syn(input: &'a DeriveInput, diag: &mut Diagnostics) -> Option<Self> {
        let (level, body) = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => (
                    Level::Struct,
                    BodyKind::Struct(named.named.iter().collect()),
                ),
                Fields::Unnamed(_) | Fields::Unit => {
                    diag.error(
                        &input.ident,
                        "#[derive(Vectorify)] needs a struct with named fields, so that each value has a key in \
                         `data`; name the fields, or derive it on a fieldless enum to make a metadata enum",
                    );
                    return None;
                }
            },
            Data::Enum(data) => (Level::Enum, BodyKind::Enum(data.variants.iter().collect())),
            Data::Union(data) => {
                diag.error(
                    data.union_token,
                    "#[derive(Vectorify)] works on structs with named fields and on fieldless enums, not on unions",
                );
                return None;
            }
        };

        let attrs = attr::container(&input.attrs, level, diag);
        let body = match body {
            BodyKind::Struct(fields) => Body::Struct(
                fields
                    .into_iter()
                    .filter_map(|field| Field::from_syn(field, &attrs, diag))
                    .collect(),
            ),
            BodyKind::Enum(variants) => Body::Enum(
                variants
                    .into_iter()
                    .filter_map(|variant| Variant::from_syn(variant, &attrs, diag))
                    .collect(),
            ),
        };
        Some(Input {
            ident: &input.ident,
            generics: &input.generics,
            attrs,
            body,
        })
    }
}

enum BodyKind<'a> {
    Struct(Vec<&'a syn::Field>),
    Enum(Vec<&'a syn::Variant>),
}

impl<'a> Field<'a> {
    fn from_syn(
        field: &'a syn::Field,
        container: &ContainerAttrs,
        diag: &mut Diagnostics,
    ) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let attrs = attr::field(&field.attrs, diag);
        let name = ident.unraw().to_string();

        let key_token = attrs.rename.clone().or_else(|| attrs.serde_rename.clone());
        let key = match &key_token {
            Some(lit) => lit.value(),
            None => match container.rename_all {
                Some(rule) => rule.apply_to_field(&name),
                None => name.clone(),
            },
        };

        let role = role(&attrs, diag)?;
        Some(Field {
            ident,
            ty: &field.ty,
            name,
            key,
            role,
            key_token,
            skip_serializing_if: attrs.skip_serializing_if,
            serialize_with: attrs.serialize_with,
        })
    }

    /// Whether the field's type is spelled `Option<...>`: its `None` leaves
    /// the key out of `data`.
    pub fn option_inner(&self) -> Option<&'a Type> {
        option_inner(self.ty)
    }
}

/// The `T` of a type spelled `Option<T>` (or `std::option::Option<T>`).
pub fn option_inner(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first() {
        Some(syn::GenericArgument::Type(inner)) if args.args.len() == 1 => Some(inner),
        _ => None,
    }
}

/// Decides what a field is from its keys, reporting keys that contradict
/// each other: a field is the id, the tenant, the url, or a value.
fn role(attrs: &attr::FieldAttrs, diag: &mut Diagnostics) -> Option<Role> {
    let special = [
        ("id", &attrs.id),
        ("tenant", &attrs.tenant),
        ("url", &attrs.url),
    ];
    let mut chosen: Option<(&str, &Path)> = None;
    for (name, key) in special {
        let Some(key) = key else { continue };
        match chosen {
            Some((first, _)) => diag.error(
                key,
                format!(
                    "a field cannot be both the `{first}` and the `{name}`: keep one of the two"
                ),
            ),
            None => chosen = Some((name, key)),
        }
    }

    if let Some((name, key)) = chosen {
        let mut conflict = |other: &dyn quote::ToTokens, other_name: &str| {
            diag.error(
                other,
                format!(
                    "the `{name}` field is sent as the item's {name}, apart from `data` and `metadata`; \
                     remove `{other_name}`"
                ),
            );
        };
        if let Some(metadata) = &attrs.metadata {
            conflict(metadata, "metadata");
        }
        if let Some(skip) = &attrs.skip {
            conflict(skip, "skip");
        }
        if let Some(data) = &attrs.data {
            conflict(data, "data");
        }
        if let Some(rename) = &attrs.rename {
            conflict(rename, "rename");
        }
        let key = key.clone();
        return Some(match name {
            "id" => Role::Id(key),
            "tenant" => Role::Tenant(key),
            _ => Role::Url(key),
        });
    }

    let skipped = attrs.skip.as_ref().or(attrs.serde_skip.as_ref());
    if let (Some(skip), Some(_)) = (skipped, &attrs.metadata) {
        diag.error(
            skip,
            "a skipped field cannot be metadata; to send it as metadata only, write \
             `#[vectorify(metadata, data = false)]`",
        );
        return None;
    }
    if skipped.is_some() {
        if let Some(data) = &attrs.data {
            diag.error(
                data,
                "the field is skipped, so `data = ...` has no effect; remove it",
            );
        }
        return Some(Role::Skipped);
    }

    let in_data = attrs.data.as_ref().is_none_or(|data| data.value);
    match (&attrs.metadata, &attrs.data) {
        (None, Some(data)) if !data.value => {
            diag.error(
                data,
                "`data = false` keeps a metadata field out of `data`; for a field sent nowhere write \
                 `#[vectorify(skip)]`",
            );
            None
        }
        (metadata, _) => Some(Role::Value {
            data: in_data,
            metadata: metadata.clone(),
        }),
    }
}

impl<'a> Variant<'a> {
    fn from_syn(
        variant: &'a syn::Variant,
        container: &ContainerAttrs,
        diag: &mut Diagnostics,
    ) -> Option<Self> {
        let attrs = attr::variant(&variant.attrs, diag);
        if !matches!(variant.fields, Fields::Unit) {
            diag.error(
                &variant.fields,
                format!(
                    "a metadata enum has fieldless variants only: `{}` would need a value the API cannot filter on; \
                     remove its fields, or keep this enum out of metadata",
                    variant.ident
                ),
            );
            return None;
        }
        let name = variant.ident.unraw().to_string();
        let option = match attrs.rename.or(attrs.serde_rename) {
            Some(lit) => lit.value(),
            None => match container.rename_all {
                Some(rule) => rule.apply_to_variant(&name),
                None => name,
            },
        };
        Some(Variant {
            ident: &variant.ident,
            option,
        })
    }
}
