//! The attributes the derive reads: its own `#[vectorify(...)]` keys and the
//! `#[serde(...)]` keys that change what serde would write.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, ExprPath, Lit, LitBool, LitStr, Meta, Path, Token};

use crate::case::{RULES, RenameRule};
use crate::diagnostics::Diagnostics;

/// Where an attribute stands, which decides the keys it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Struct,
    Enum,
    Field,
    Variant,
}

impl Level {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Level::Struct => &["collection", "url", "crate"],
            Level::Enum => &["crate"],
            Level::Field => &["id", "tenant", "url", "metadata", "data", "skip", "rename"],
            Level::Variant => &["rename"],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Struct => "the struct",
            Level::Enum => "the enum",
            Level::Field => "a field",
            Level::Variant => "a variant",
        }
    }
}

/// `#[vectorify(...)]` and `#[serde(...)]` on the struct or enum.
#[derive(Default)]
pub struct ContainerAttrs {
    /// `collection = "slug"`.
    pub collection: Option<LitStr>,
    /// `url = "https://.../{id}"`.
    pub url_template: Option<LitStr>,
    /// `crate = "path"`, for a re-exported vectorify-core.
    pub krate: Option<Path>,
    /// serde's `rename_all`, the serialize side.
    pub rename_all: Option<RenameRule>,
}

/// `#[vectorify(...)]` and `#[serde(...)]` on a field. Each flag keeps the
/// key's path so that errors can point at it.
#[derive(Default)]
pub struct FieldAttrs {
    pub id: Option<Path>,
    pub tenant: Option<Path>,
    pub url: Option<Path>,
    pub metadata: Option<Path>,
    /// `data = false`: metadata only.
    pub data: Option<LitBool>,
    pub skip: Option<Path>,
    pub rename: Option<LitStr>,
    /// serde's `rename`, the serialize side.
    pub serde_rename: Option<LitStr>,
    /// serde's `skip` or `skip_serializing`.
    pub serde_skip: Option<Path>,
    pub skip_serializing_if: Option<ExprPath>,
    /// serde's `serialize_with`, or `with`'s `serialize` function.
    pub serialize_with: Option<ExprPath>,
}

/// `#[vectorify(...)]` and `#[serde(...)]` on an enum variant.
#[derive(Default)]
pub struct VariantAttrs {
    pub rename: Option<LitStr>,
    pub serde_rename: Option<LitStr>,
}

pub fn container(attrs: &[Attribute], level: Level, diag: &mut Diagnostics) -> ContainerAttrs {
    let mut keys = ContainerKeys {
        level,
        out: ContainerAttrs::default(),
    };
    read(attrs, &mut keys, diag);
    keys.out
}

pub fn field(attrs: &[Attribute], diag: &mut Diagnostics) -> FieldAttrs {
    let mut out = FieldAttrs::default();
    read(attrs, &mut out, diag);
    out
}

pub fn variant(attrs: &[Attribute], diag: &mut Diagnostics) -> VariantAttrs {
    let mut out = VariantAttrs::default();
    read(attrs, &mut out, diag);
    out
}

/// One level's attributes, filled key by key.
trait Keys {
    /// Reads one key of `#[vectorify(...)]`.
    fn vectorify_key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        diag: &mut Diagnostics,
    ) -> syn::Result<()>;

    /// Reads one key of `#[serde(...)]`; keys that do not change what serde
    /// writes are passed over.
    fn serde_key(&mut self, meta: &Meta, diag: &mut Diagnostics);
}

/// Reads every `#[vectorify(...)]` and `#[serde(...)]` attribute, reporting
/// each mistake and going on.
fn read(attrs: &[Attribute], keys: &mut impl Keys, diag: &mut Diagnostics) {
    for attr in attrs {
        if attr.path().is_ident("vectorify") {
            if let Err(error) = attr.parse_nested_meta(|meta| keys.vectorify_key(&meta, diag)) {
                diag.push(error);
            }
        } else if attr.path().is_ident("serde") {
            for meta in serde_metas(attr) {
                keys.serde_key(&meta, diag);
            }
        }
    }
}

/// The struct's or enum's attributes, with where they stand.
struct ContainerKeys {
    level: Level,
    out: ContainerAttrs,
}

impl Keys for ContainerKeys {
    fn vectorify_key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        diag: &mut Diagnostics,
    ) -> syn::Result<()> {
        let (level, out) = (self.level, &mut self.out);
        if meta.path.is_ident("collection") && level == Level::Struct {
            // #[vectorify(collection = "invoices")]
            let lit = string_value(meta)?;
            set_once(diag, &meta.path, &mut out.collection, lit);
        } else if meta.path.is_ident("url") && level == Level::Struct {
            // #[vectorify(url = "https://app.example.com/invoices/{id}")]
            let lit = string_value(meta)?;
            set_once(diag, &meta.path, &mut out.url_template, lit);
        } else if meta.path.is_ident("crate") {
            // #[vectorify(crate = "my_reexport::vectorify_core")]
            let lit = string_value(meta)?;
            match lit.parse::<Path>() {
                Ok(path) => set_once(diag, &meta.path, &mut out.krate, path),
                Err(_) => diag.error(
                    &lit,
                    "`crate` takes a path, like `crate = \"my_app::vectorify_core\"`",
                ),
            }
        } else {
            unknown_key(diag, meta, level)?;
        }
        Ok(())
    }

    fn serde_key(&mut self, meta: &Meta, diag: &mut Diagnostics) {
        let out = &mut self.out;
        let path = meta.path();
        if path.is_ident("rename_all") {
            if let Some(lit) = serialize_side(meta) {
                match RenameRule::from_name(&lit.value()) {
                    Some(rule) => out.rename_all = Some(rule),
                    None => diag.error(&lit, unknown_rule(&lit.value())),
                }
            }
        } else if let Some(key) = [
            "tag",
            "content",
            "untagged",
            "transparent",
            "into",
            "remote",
        ]
        .into_iter()
        .find(|key| path.is_ident(key))
        {
            diag.error(
                        path,
                        format!(
                            "#[derive(Vectorify)] does not support `#[serde({key})]`: it changes the shape serde writes, \
                             which the derive cannot reproduce; remove it"
                        ),
                    );
        }
    }
}

impl Keys for FieldAttrs {
    fn vectorify_key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        diag: &mut Diagnostics,
    ) -> syn::Result<()> {
        let flag = if meta.path.is_ident("id") {
            Some(&mut self.id)
        } else if meta.path.is_ident("tenant") {
            Some(&mut self.tenant)
        } else if meta.path.is_ident("url") {
            Some(&mut self.url)
        } else if meta.path.is_ident("metadata") {
            Some(&mut self.metadata)
        } else if meta.path.is_ident("skip") {
            Some(&mut self.skip)
        } else {
            None
        };
        if let Some(slot) = flag {
            // #[vectorify(id)], #[vectorify(metadata)], ...
            if meta.input.peek(Token![=]) || meta.input.peek(syn::token::Paren) {
                let key = path_name(&meta.path);
                diag.error(
                    &meta.path,
                    format!("`{key}` takes no value: write `#[vectorify({key})]`"),
                );
                skip_value(meta)?;
            }
            set_once(diag, &meta.path, slot, meta.path.clone());
        } else if meta.path.is_ident("data") {
            // #[vectorify(metadata, data = false)]
            let lit: LitBool = meta.value()?.parse()?;
            set_once(diag, &meta.path, &mut self.data, lit);
        } else if meta.path.is_ident("rename") {
            // #[vectorify(rename = "customer")]
            let lit = string_value(meta)?;
            set_once(diag, &meta.path, &mut self.rename, lit);
        } else {
            unknown_key(diag, meta, Level::Field)?;
        }
        Ok(())
    }

    fn serde_key(&mut self, meta: &Meta, diag: &mut Diagnostics) {
        let path = meta.path();
        if path.is_ident("rename") {
            if let Some(name) = serialize_side(meta) {
                self.serde_rename = Some(name);
            }
        } else if path.is_ident("skip") || path.is_ident("skip_serializing") {
            self.serde_skip = Some(path.clone());
        } else if path.is_ident("skip_serializing_if") {
            self.skip_serializing_if = function_path(meta, diag, None);
        } else if path.is_ident("serialize_with") {
            self.serialize_with = function_path(meta, diag, None);
        } else if path.is_ident("with") {
            self.serialize_with = function_path(meta, diag, Some("serialize"));
        } else if path.is_ident("flatten") || path.is_ident("getter") {
            let key = path_name(path);
            diag.error(
                        path,
                        format!(
                            "#[derive(Vectorify)] does not support `#[serde({key})]` on a field: `data` would differ \
                             from what serde writes; list the fields in this struct, or leave this one out of `data` \
                             with `#[vectorify(skip)]`"
                        ),
                    );
        }
    }
}

impl Keys for VariantAttrs {
    fn vectorify_key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        diag: &mut Diagnostics,
    ) -> syn::Result<()> {
        if meta.path.is_ident("rename") {
            // #[vectorify(rename = "on-hold")]
            let lit = string_value(meta)?;
            set_once(diag, &meta.path, &mut self.rename, lit);
        } else {
            unknown_key(diag, meta, Level::Variant)?;
        }
        Ok(())
    }

    fn serde_key(&mut self, meta: &Meta, diag: &mut Diagnostics) {
        let path = meta.path();
        if path.is_ident("rename") {
            if let Some(name) = serialize_side(meta) {
                self.serde_rename = Some(name);
            }
        } else if path.is_ident("skip") || path.is_ident("skip_serializing") {
            diag.error(
                        path,
                        "a metadata enum cannot skip a variant: every variant is one of the collection's options; \
                         remove the skip, or the variant",
                    );
        }
    }
}

/// Stores a key's value, or reports the key's second use.
fn set_once<T>(diag: &mut Diagnostics, key: &Path, slot: &mut Option<T>, value: T) {
    if slot.is_some() {
        let name = path_name(key);
        diag.error(key, format!("duplicate `{name}`: give it once"));
    } else {
        *slot = Some(value);
    }
}

fn string_value(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    let key = path_name(&meta.path);
    let value = meta
        .value()
        .map_err(|_| meta.error(format!("`{key}` takes a string: write `{key} = \"...\"`")))?;
    value.parse::<LitStr>().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!("`{key}` takes a string: write `{key} = \"...\"`"),
        )
    })
}

/// Reports a key that does not belong at this level, naming the nearest valid
/// key, or where the key does belong.
fn unknown_key(
    diag: &mut Diagnostics,
    meta: &ParseNestedMeta<'_>,
    level: Level,
) -> syn::Result<()> {
    let key = path_name(&meta.path);
    let valid = level.keys();
    let elsewhere = [Level::Struct, Level::Enum, Level::Field, Level::Variant]
        .into_iter()
        .find(|other| *other != level && other.keys().contains(&key.as_str()));
    let message = if let Some(other) = elsewhere {
        format!(
            "`{key}` belongs on {}, not on {}",
            other.name(),
            level.name()
        )
    } else if let Some(nearest) = nearest(&key, valid) {
        format!("unknown attribute `{key}`: did you mean `{nearest}`?")
    } else {
        let list = valid
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "unknown attribute `{key}` on {}: expected {list}",
            level.name()
        )
    };
    diag.error(&meta.path, message);
    skip_value(meta)
}

/// Consumes what follows a key (`= value` or `(...)`) so parsing goes on.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// The valid key closest to a misspelt one, if any is close.
pub fn nearest<'a>(key: &str, valid: &[&'a str]) -> Option<&'a str> {
    valid
        .iter()
        .map(|candidate| (strsim::damerau_levenshtein(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(1) + 1)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn unknown_rule(name: &str) -> String {
    let names: Vec<&str> = RULES.iter().map(|(name, _)| *name).collect();
    match nearest(name, &names) {
        Some(nearest) => format!("unknown `rename_all` rule `{name}`: did you mean `{nearest}`?"),
        None => format!(
            "unknown `rename_all` rule `{name}`: expected one of {}",
            names.join(", ")
        ),
    }
}

fn path_name(path: &Path) -> String {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// The keys of one `#[serde(...)]` attribute. One that does not parse is
/// serde's to report, so it is passed over here.
fn serde_metas(attr: &Attribute) -> Vec<Meta> {
    attr.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)
        .map(|metas| metas.into_iter().collect())
        .unwrap_or_default()
}

/// The string of `key = "..."`, or of `serialize = "..."` in
/// `key(serialize = "...", deserialize = "...")`.
fn serialize_side(meta: &Meta) -> Option<LitStr> {
    match meta {
        Meta::NameValue(pair) => string_literal(&pair.value),
        Meta::List(list) => list
            .parse_args_with(Punctuated::<syn::MetaNameValue, Token![,]>::parse_terminated)
            .ok()?
            .into_iter()
            .find(|pair| pair.path.is_ident("serialize"))
            .and_then(|pair| string_literal(&pair.value)),
        Meta::Path(_) => None,
    }
}

fn string_literal(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => Some(lit.clone()),
        _ => None,
    }
}

/// The function named by `key = "path"`, with `suffix` appended for serde's
/// `with = "module"`.
fn function_path(meta: &Meta, diag: &mut Diagnostics, suffix: Option<&str>) -> Option<ExprPath> {
    let lit = serialize_side(meta)?;
    let text = match suffix {
        Some(suffix) => format!("{}::{suffix}", lit.value()),
        None => lit.value(),
    };
    match syn::parse_str::<ExprPath>(&text) {
        Ok(mut path) => {
            respan(&mut path, lit.span());
            Some(path)
        }
        Err(_) => {
            diag.error(&lit, "expected the path of a function");
            None
        }
    }
}

/// Points a parsed path at the literal it came from, so errors in the called
/// function show there.
fn respan(path: &mut ExprPath, span: proc_macro2::Span) {
    for segment in &mut path.path.segments {
        segment.ident.set_span(span);
    }
}
