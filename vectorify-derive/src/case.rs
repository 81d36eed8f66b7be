//! Renaming rules: serde's `rename_all` cases, and the default collection slug.

/// A serde `rename_all` rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenameRule {
    Lower,
    Upper,
    Pascal,
    Camel,
    Snake,
    ScreamingSnake,
    Kebab,
    ScreamingKebab,
}

/// The names serde accepts in `rename_all`, with their rules.
pub const RULES: &[(&str, RenameRule)] = &[
    ("lowercase", RenameRule::Lower),
    ("UPPERCASE", RenameRule::Upper),
    ("PascalCase", RenameRule::Pascal),
    ("camelCase", RenameRule::Camel),
    ("snake_case", RenameRule::Snake),
    ("SCREAMING_SNAKE_CASE", RenameRule::ScreamingSnake),
    ("kebab-case", RenameRule::Kebab),
    ("SCREAMING-KEBAB-CASE", RenameRule::ScreamingKebab),
];

impl RenameRule {
    pub fn from_name(name: &str) -> Option<Self> {
        RULES
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, rule)| *rule)
    }

    /// Renames a struct field, written in snake_case in Rust.
    pub fn apply_to_field(self, field: &str) -> String {
        match self {
            RenameRule::Lower | RenameRule::Snake => field.to_owned(),
            RenameRule::Upper | RenameRule::ScreamingSnake => field.to_ascii_uppercase(),
            RenameRule::Pascal => pascal_from_snake(field),
            RenameRule::Camel => {
                let pascal = pascal_from_snake(field);
                lowercase_first(&pascal)
            }
            RenameRule::Kebab => field.replace('_', "-"),
            RenameRule::ScreamingKebab => field.to_ascii_uppercase().replace('_', "-"),
        }
    }

    /// Renames an enum variant, written in PascalCase in Rust.
    pub fn apply_to_variant(self, variant: &str) -> String {
        match self {
            RenameRule::Lower => variant.to_ascii_lowercase(),
            RenameRule::Upper => variant.to_ascii_uppercase(),
            RenameRule::Pascal => variant.to_owned(),
            RenameRule::Camel => lowercase_first(variant),
            RenameRule::Snake => separate_words(variant, '_'),
            RenameRule::ScreamingSnake => separate_words(variant, '_').to_ascii_uppercase(),
            RenameRule::Kebab => separate_words(variant, '-'),
            RenameRule::ScreamingKebab => separate_words(variant, '-').to_ascii_uppercase(),
        }
    }
}

fn pascal_from_snake(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut capitalize = true;
    for ch in field.chars() {
        if ch == '_' {
            capitalize = true;
        } else if capitalize {
            out.push(ch.to_ascii_uppercase());
            capitalize = false;
        } else {
            out.push(ch);
        }
    }
    out
}

fn lowercase_first(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `LineItem` → `line_item` with `_`, as serde splits PascalCase words: a
/// separator before every uppercase letter but the first.
fn separate_words(pascal: &str, separator: char) -> String {
    let mut out = String::with_capacity(pascal.len() + 4);
    for (i, ch) in pascal.char_indices() {
        if i > 0 && ch.is_uppercase() {
            out.push(separator);
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// The default slug of a type's collection: its name in kebab-case, as the
/// vendor's Laravel package slugs model names (`LineItem` → `line-item`).
/// Underscores become dashes and runs of dashes collapse to one.
pub fn default_slug(type_name: &str) -> String {
    let words = separate_words(type_name, '-').replace('_', "-");
    let mut slug = String::with_capacity(words.len());
    for part in words.split('-').filter(|part| !part.is_empty()) {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(part);
    }
    slug
}

/// Whether a slug is one the API takes: non-empty, lowercase ASCII letters,
/// digits, `-` and `_`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_slug_is_kebab_case_of_the_type_name() {
        assert_eq!(default_slug("Invoice"), "invoice");
        assert_eq!(default_slug("LineItem"), "line-item");
        assert_eq!(default_slug("HTTPLog"), "h-t-t-p-log");
        assert_eq!(default_slug("Invoice_V2"), "invoice-v2");
        assert_eq!(default_slug("Order2024"), "order2024");
    }

    #[test]
    fn field_rules_follow_serde() {
        assert_eq!(RenameRule::Camel.apply_to_field("due_date"), "dueDate");
        assert_eq!(RenameRule::Pascal.apply_to_field("due_date"), "DueDate");
        assert_eq!(RenameRule::Kebab.apply_to_field("due_date"), "due-date");
        assert_eq!(
            RenameRule::ScreamingKebab.apply_to_field("due_date"),
            "DUE-DATE"
        );
        assert_eq!(RenameRule::Upper.apply_to_field("due_date"), "DUE_DATE");
        assert_eq!(RenameRule::Lower.apply_to_field("due_date"), "due_date");
    }

    #[test]
    fn variant_rules_follow_serde() {
        assert_eq!(
            RenameRule::Lower.apply_to_variant("PartlyPaid"),
            "partlypaid"
        );
        assert_eq!(
            RenameRule::Snake.apply_to_variant("PartlyPaid"),
            "partly_paid"
        );
        assert_eq!(
            RenameRule::Kebab.apply_to_variant("PartlyPaid"),
            "partly-paid"
        );
        assert_eq!(
            RenameRule::Camel.apply_to_variant("PartlyPaid"),
            "partlyPaid"
        );
        assert_eq!(
            RenameRule::ScreamingSnake.apply_to_variant("PartlyPaid"),
            "PARTLY_PAID"
        );
    }

    #[test]
    fn slugs_are_checked() {
        assert!(is_valid_slug("line_items-2"));
        assert!(!is_valid_slug(""));
        assert!(!is_valid_slug("Invoices"));
        assert!(!is_valid_slug("in voices"));
    }
}
