//! Rules across fields and attributes, each in its own function.

use std::collections::HashMap;

use quote::ToTokens;

use crate::ast::{Body, Field, Input, Role, option_inner};
use crate::attr::nearest;
use crate::case::is_valid_slug;
use crate::diagnostics::Diagnostics;
use crate::url_template::{self, Segment};

/// Runs every rule, recording each broken one.
pub fn check(input: &Input<'_>, diag: &mut Diagnostics) {
    if let Some(collection) = &input.attrs.collection {
        slug_is_valid(collection, diag);
    }
    match &input.body {
        Body::Struct(fields) => {
            one_id(input, fields, diag);
            id_is_not_optional(fields, diag);
            let tenant = |role: &Role| match role {
                Role::Tenant(key) => Some(key.clone()),
                _ => None,
            };
            let url = |role: &Role| match role {
                Role::Url(key) => Some(key.clone()),
                _ => None,
            };
            at_most_one(fields, "tenant", tenant, diag);
            at_most_one(fields, "url", url, diag);
            url_template_or_field(input, fields, diag);
            keys_are_distinct(fields, diag);
        }
        Body::Enum(variants) => {
            if variants.is_empty() {
                diag.error(
                    input.ident,
                    "a metadata enum needs at least one variant: the API wants a non-empty list of options",
                );
            }
            let mut seen = HashMap::new();
            for variant in variants {
                if let Some(first) = seen.insert(variant.option.as_str(), variant.ident) {
                    diag.error(
                        variant.ident,
                        format!(
                            "`{first}` and `{}` are both the option \"{}\"; rename one",
                            variant.ident, variant.option
                        ),
                    );
                }
            }
        }
    }
}

/// The API takes slugs of lowercase ASCII letters, digits, `-` and `_`; a
/// slug it would refuse is caught here instead of by a 422 in production.
fn slug_is_valid(collection: &syn::LitStr, diag: &mut Diagnostics) {
    let slug = collection.value();
    if !is_valid_slug(&slug) {
        let suggestion = crate::case::default_slug(&slug.replace(' ', "-"));
        let hint = if is_valid_slug(&suggestion) {
            format!(", like \"{suggestion}\"")
        } else {
            String::new()
        };
        diag.error(
            collection,
            format!(
                "\"{slug}\" is not a valid collection slug: use lowercase ASCII letters, digits, `-` and `_`{hint}"
            ),
        );
    }
}

/// Every item needs exactly one id: the API replaces items by it.
fn one_id(input: &Input<'_>, fields: &[Field<'_>], diag: &mut Diagnostics) {
    let mut ids = fields.iter().filter_map(|field| match &field.role {
        Role::Id(key) => Some((field, key)),
        _ => None,
    });
    let Some((first, _)) = ids.next() else {
        diag.error(
            input.ident,
            format!(
                "`{}` has no id: mark the field that identifies each item with `#[vectorify(id)]`",
                input.ident
            ),
        );
        return;
    };
    for (_, key) in ids {
        diag.error(
            key,
            format!(
                "a second `#[vectorify(id)]`: an item has exactly one id, and `{}` already is it",
                first.name
            ),
        );
    }
}

/// An item without an id cannot be sent, so the type must guarantee one.
fn id_is_not_optional(fields: &[Field<'_>], diag: &mut Diagnostics) {
    for field in fields {
        if matches!(field.role, Role::Id(_)) && option_inner(field.ty).is_some() {
            diag.error(
                field.ty,
                "the id cannot be an `Option`: every item needs an id; filter out records without one before \
                 sending, and use the inner type here",
            );
        }
    }
}

/// The API takes one tenant and one url per item.
fn at_most_one(
    fields: &[Field<'_>],
    name: &str,
    key: impl Fn(&Role) -> Option<syn::Path>,
    diag: &mut Diagnostics,
) {
    let mut found = fields
        .iter()
        .filter_map(|field| key(&field.role).map(|key| (field, key)));
    let Some((first, _)) = found.next() else {
        return;
    };
    for (_, key) in found {
        diag.error(
            key,
            format!(
                "a second `#[vectorify({name})]`: an item has at most one {name}, and `{}` already is it",
                first.name
            ),
        );
    }
}

/// A url comes from a field or from a template, not both; a template's
/// placeholders must name fields.
fn url_template_or_field(input: &Input<'_>, fields: &[Field<'_>], diag: &mut Diagnostics) {
    let Some(template) = &input.attrs.url_template else {
        return;
    };
    if let Some(field) = fields
        .iter()
        .find(|field| matches!(field.role, Role::Url(_)))
    {
        diag.error(
            template,
            format!(
                "the url comes either from a template or from a field, and `{}` is marked `#[vectorify(url)]`; \
                 keep one of the two",
                field.name
            ),
        );
    }
    match url_template::parse(&template.value()) {
        Err(message) => diag.error(template, message),
        Ok(segments) => {
            let names: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
            for segment in segments {
                let Segment::Field(name) = segment else {
                    continue;
                };
                if !names.contains(&name.as_str()) {
                    let hint = match nearest(&name, &names) {
                        Some(nearest) => format!("; did you mean `{{{nearest}}}`?"),
                        None => format!("; the fields are {}", names.join(", ")),
                    };
                    diag.error(
                        template,
                        format!("the url template names `{{{name}}}`, which is not a field{hint}"),
                    );
                }
            }
        }
    }
}

/// Two fields with the same key would overwrite each other in `data` or
/// `metadata`.
fn keys_are_distinct(fields: &[Field<'_>], diag: &mut Diagnostics) {
    let mut seen: HashMap<&str, &Field<'_>> = HashMap::new();
    for field in fields {
        if !matches!(field.role, Role::Value { .. }) {
            continue;
        }
        if let Some(first) = seen.insert(field.key.as_str(), field) {
            let at: &dyn ToTokens = match &field.key_token {
                Some(lit) => lit,
                None => field.ident,
            };
            diag.error(
                at,
                format!(
                    "`{}` and `{}` both have the key \"{}\"; rename one",
                    first.name, field.name, field.key
                ),
            );
        }
    }
}
