//! What the API accepts: the rules of each request body, reported the way the
//! Laravel backend reports them (every error, keyed by dotted path).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::store::ItemData;
use crate::time::is_iso8601;

/// The most items one upsert may carry.
pub const MAX_ITEMS_PER_UPSERT: usize = 90;

/// Every rule a body broke, in the order they were found.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ValidationErrors {
    fields: Vec<(String, Vec<String>)>,
}

impl ValidationErrors {
    pub(crate) fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let key = key.into();
        let message = message.into();
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, messages)) => messages.push(message),
            None => self.fields.push((key, vec![message])),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The 422 body: the first message, a count of the others, and all of
    /// them by key, in the order they were found.
    pub(crate) fn body(&self) -> ErrorBody<'_> {
        let count: usize = self.fields.iter().map(|(_, m)| m.len()).sum();
        let first = self
            .fields
            .first()
            .and_then(|(_, m)| m.first())
            .cloned()
            .unwrap_or_default();
        let message = match count {
            0 | 1 => first,
            2 => format!("{first} (and 1 more error)"),
            n => format!("{first} (and {} more errors)", n - 1),
        };
        ErrorBody {
            message,
            errors: self,
        }
    }

    fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// The body of a 422 answer.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody<'a> {
    message: String,
    errors: &'a ValidationErrors,
}

impl Serialize for ValidationErrors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Keeps the order the rules found the errors in, which a JSON map
        // sorted by key would lose.
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (key, messages) in &self.fields {
            map.serialize_entry(key, messages)?;
        }
        map.end()
    }
}

fn required(field: &str) -> String {
    format!("The {field} field is required.")
}

fn must_be(field: &str, kind: &str) -> String {
    format!("The {field} field must be {kind}.")
}

fn invalid_choice(field: &str) -> String {
    format!("The selected {field} is invalid.")
}

/// Whether a value counts as absent for a `required` rule, as Laravel counts it.
fn is_blank(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// The type of one metadata field, as the collection declares it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldType {
    String,
    Enum(Vec<String>),
    Datetime,
    /// Declared, but the declaration itself is invalid: its values are not checked.
    Broken,
}

/// A collection declaration that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidCollection {
    pub(crate) slug: String,
    /// `collection.metadata` as sent (`{}` when it was left out).
    pub(crate) metadata: Value,
}

/// An item that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidItem {
    pub(crate) id: String,
    pub(crate) tenant: Option<i64>,
    pub(crate) data: ItemData,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) url: Option<String>,
}

/// An upsert body that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ValidUpsert {
    pub(crate) collection: ValidCollection,
    pub(crate) items: Vec<ValidItem>,
}

/// Checks a `POST /upserts` body. A body that is not a JSON object is
/// judged as an empty one.
///
/// `collection` is required here although the newest reference marks it
/// optional: without it the emulator could not know where the items go, and
/// the project's client always sends it.
pub(crate) fn upsert(body: Value) -> Result<ValidUpsert, ValidationErrors> {
    let mut root = match body {
        Value::Object(root) => root,
        _ => Map::new(),
    };
    let mut errors = ValidationErrors::default();

    let (slug, fields) = collection(root.get("collection"), &mut errors);
    check_items(root.get("items"), fields.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    // The body is valid: move its parts out rather than copy them.
    let metadata = root
        .get_mut("collection")
        .and_then(|collection| collection.get_mut("metadata"))
        .map(Value::take)
        .filter(|metadata| !metadata.is_null())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let items = match root.remove("items") {
        Some(Value::Array(items)) => items.into_iter().filter_map(take_item).collect(),
        _ => Vec::new(),
    };
    Ok(ValidUpsert {
        collection: ValidCollection {
            slug: slug.unwrap_or_default(),
            metadata,
        },
        items,
    })
}

/// Checks `collection`; returns its slug and, when its metadata could be
/// read, the declared fields.
pub(crate) fn collection(
    value: Option<&Value>,
    errors: &mut ValidationErrors,
) -> (Option<String>, Option<Vec<(String, FieldType)>>) {
    let collection = match value {
        None | Some(Value::Null) => {
            errors.add("collection", required("collection"));
            return (None, None);
        }
        Some(Value::Object(collection)) => collection,
        Some(_) => {
            errors.add("collection", must_be("collection", "an object"));
            return (None, None);
        }
    };

    let slug = match collection.get("slug") {
        Some(Value::String(slug)) if !slug.is_empty() && is_slug(slug) => Some(slug.clone()),
        blank if is_blank(blank) => {
            errors.add("collection.slug", required("collection.slug"));
            None
        }
        Some(Value::String(_)) => {
            errors.add(
                "collection.slug",
                "The collection.slug field format is invalid: use lowercase letters, digits, - and _.",
            );
            None
        }
        _ => {
            errors.add("collection.slug", must_be("collection.slug", "a string"));
            None
        }
    };

    let fields = match collection.get("metadata") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Object(declared)) => Some(
            declared
                .iter()
                .map(|(name, declaration)| (name.clone(), field_type(name, declaration, errors)))
                .collect(),
        ),
        Some(_) => {
            errors.add(
                "collection.metadata",
                must_be("collection.metadata", "an object"),
            );
            None
        }
    };
    (slug, fields)
}

fn is_slug(slug: &str) -> bool {
    slug.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn field_type(name: &str, declaration: &Value, errors: &mut ValidationErrors) -> FieldType {
    let path = format!("collection.metadata.{name}");
    let Some(declaration) = declaration.as_object() else {
        errors.add(&path, must_be(&path, "an object"));
        return FieldType::Broken;
    };

    let type_path = format!("{path}.type");
    let declared = match declaration.get("type") {
        blank if is_blank(blank) => {
            errors.add(&type_path, required(&type_path));
            return FieldType::Broken;
        }
        Some(Value::String(declared)) => declared.as_str(),
        _ => {
            errors.add(&type_path, invalid_choice(&type_path));
            return FieldType::Broken;
        }
    };
    match declared {
        "string" => FieldType::String,
        "datetime" => FieldType::Datetime,
        "enum" => enum_options(&path, declaration.get("options"), errors),
        _ => {
            errors.add(&type_path, invalid_choice(&type_path));
            FieldType::Broken
        }
    }
}

fn enum_options(path: &str, options: Option<&Value>, errors: &mut ValidationErrors) -> FieldType {
    let options_path = format!("{path}.options");
    let options = match options {
        None | Some(Value::Null) => {
            errors.add(
                &options_path,
                format!("The {options_path} field is required when {path}.type is enum."),
            );
            return FieldType::Broken;
        }
        Some(Value::Array(options)) if options.is_empty() => {
            errors.add(
                &options_path,
                format!("The {options_path} field must have at least 1 items."),
            );
            return FieldType::Broken;
        }
        Some(Value::Array(options)) => options,
        Some(_) => {
            errors.add(&options_path, must_be(&options_path, "an array"));
            return FieldType::Broken;
        }
    };

    let mut valid = Vec::with_capacity(options.len());
    for (index, option) in options.iter().enumerate() {
        let option_path = format!("{options_path}.{index}");
        match option {
            Value::String(s) if !s.is_empty() => valid.push(s.clone()),
            blank if is_blank(Some(blank)) => errors.add(&option_path, required(&option_path)),
            _ => errors.add(&option_path, must_be(&option_path, "a string")),
        }
    }
    if valid.len() == options.len() {
        FieldType::Enum(valid)
    } else {
        FieldType::Broken
    }
}

fn check_items(
    value: Option<&Value>,
    fields: Option<&[(String, FieldType)]>,
    errors: &mut ValidationErrors,
) {
    let items = match value {
        None | Some(Value::Null) => {
            errors.add("items", required("items"));
            return;
        }
        Some(Value::Array(items)) if items.is_empty() => {
            errors.add("items", "The items field must have at least 1 items.");
            return;
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.add("items", must_be("items", "an array"));
            return;
        }
    };
    if items.len() > MAX_ITEMS_PER_UPSERT {
        errors.add(
            "items",
            format!("The items field must not have more than {MAX_ITEMS_PER_UPSERT} items."),
        );
    }

    for (index, item) in items.iter().enumerate() {
        check_item(index, item, fields, errors);
    }
}

fn check_item(
    index: usize,
    value: &Value,
    fields: Option<&[(String, FieldType)]>,
    errors: &mut ValidationErrors,
) {
    let path = format!("items.{index}");
    let Some(item) = value.as_object() else {
        errors.add(&path, must_be(&path, "an object"));
        return;
    };

    let id_path = format!("{path}.id");
    match item.get("id") {
        blank if is_blank(blank) => errors.add(&id_path, required(&id_path)),
        Some(Value::String(_)) => {}
        // The older reference sent integer ids; they are kept as their decimal text.
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        _ => errors.add(&id_path, must_be(&id_path, "a string")),
    }

    let data_path = format!("{path}.data");
    match item.get("data") {
        None | Some(Value::Null) => errors.add(&data_path, required(&data_path)),
        Some(Value::Object(_)) => {}
        Some(_) => errors.add(&data_path, must_be(&data_path, "an object")),
    }

    let metadata_path = format!("{path}.metadata");
    match item.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(metadata)) => {
            if let Some(fields) = fields {
                item_metadata(&metadata_path, metadata, fields, errors);
            }
        }
        Some(_) => errors.add(&metadata_path, must_be(&metadata_path, "an object")),
    }

    let tenant_path = format!("{path}.tenant");
    match item.get("tenant") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) if n.as_i64().is_some() => {}
        Some(_) => errors.add(&tenant_path, must_be(&tenant_path, "an integer")),
    }

    let url_path = format!("{path}.url");
    match item.get("url") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => errors.add(&url_path, must_be(&url_path, "a string")),
    }
}

/// Moves the fields out of an item that [`check_item`] passed.
fn take_item(value: Value) -> Option<ValidItem> {
    let Value::Object(mut item) = value else {
        return None;
    };
    let id = match item.remove("id")? {
        Value::String(id) => id,
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let Value::Object(data) = item.remove("data")? else {
        return None;
    };
    let metadata = match item.remove("metadata") {
        Some(Value::Object(metadata)) => metadata,
        _ => Map::new(),
    };
    let tenant = item.get("tenant").and_then(Value::as_i64);
    let url = match item.remove("url") {
        Some(Value::String(url)) => Some(url),
        _ => None,
    };
    Some(ValidItem {
        id,
        tenant,
        data: ItemData::Tree(data),
        metadata,
        url,
    })
}

/// Each metadata key must be declared by the collection, and each value
/// must fit its declared type; `null` stands for "no value" in any type.
fn item_metadata(
    path: &str,
    metadata: &Map<String, Value>,
    fields: &[(String, FieldType)],
    errors: &mut ValidationErrors,
) {
    for (name, value) in metadata {
        let key = format!("{path}.{name}");
        let Some((_, field_type)) = fields.iter().find(|(declared, _)| declared == name) else {
            errors.add(
                &key,
                format!("The {key} field is not declared in collection.metadata."),
            );
            continue;
        };
        if value.is_null() {
            continue;
        }
        match (field_type, value) {
            (FieldType::Broken, _) => {}
            (FieldType::String, Value::String(_)) => {}
            (FieldType::String, _) => errors.add(&key, must_be(&key, "a string")),
            (FieldType::Enum(options), Value::String(s)) if options.contains(s) => {}
            (FieldType::Enum(_), _) => errors.add(&key, invalid_choice(&key)),
            (FieldType::Datetime, Value::String(s)) if is_iso8601(s) => {}
            (FieldType::Datetime, _) => {
                errors.add(
                    &key,
                    format!("The {key} field must be a valid ISO 8601 date."),
                );
            }
        }
    }
}

/// A question for `POST /query` or `POST /chats`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Question {
    pub(crate) text: String,
    /// The collections to search; all of them when `None`.
    pub(crate) collections: Option<Vec<String>>,
    /// The tenant whose items are searched; every item when `None`.
    pub(crate) tenant: Option<i64>,
    /// Who asks, as sent (`null` when left out).
    pub(crate) identifier: Value,
}

/// Checks a `POST /query` or `POST /chats` body.
pub(crate) fn question(body: &Value) -> Result<Question, ValidationErrors> {
    let empty = Map::new();
    let root = body.as_object().unwrap_or(&empty);
    let mut errors = ValidationErrors::default();

    let text = text(root, "text", &mut errors);

    let collections = match root.get("collections") {
        None | Some(Value::Null) => None,
        Some(Value::Array(slugs)) => {
            let mut valid = Vec::with_capacity(slugs.len());
            for (index, slug) in slugs.iter().enumerate() {
                match slug {
                    Value::String(slug) => valid.push(slug.clone()),
                    _ => {
                        let key = format!("collections.{index}");
                        errors.add(&key, must_be(&key, "a string"));
                    }
                }
            }
            Some(valid)
        }
        Some(_) => {
            errors.add("collections", must_be("collections", "an array"));
            None
        }
    };

    let tenant = match root.get("tenant") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
        Some(_) => {
            errors.add("tenant", must_be("tenant", "an integer"));
            None
        }
    };

    let identifier = match root.get("identifier") {
        None | Some(Value::Null) => Value::Null,
        Some(identifier @ Value::Object(_)) => identifier.clone(),
        Some(_) => {
            errors.add("identifier", must_be("identifier", "an object"));
            Value::Null
        }
    };

    errors.into_result(Question {
        text: text.unwrap_or_default(),
        collections,
        tenant,
        identifier,
    })
}

/// Checks a body whose only field is the required string `field`
/// (`{"text": ...}` for a chat message, `{"feedback": ...}` for feedback).
pub(crate) fn single_text(body: &Value, field: &str) -> Result<String, ValidationErrors> {
    let empty = Map::new();
    let root = body.as_object().unwrap_or(&empty);
    let mut errors = ValidationErrors::default();
    let text = text(root, field, &mut errors);
    errors.into_result(text.unwrap_or_default())
}

fn text(root: &Map<String, Value>, field: &str, errors: &mut ValidationErrors) -> Option<String> {
    match root.get(field) {
        blank if is_blank(blank) => {
            errors.add(field, required(field));
            None
        }
        Some(Value::String(text)) => Some(text.clone()),
        _ => {
            errors.add(field, must_be(field, "a string"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(result: Result<ValidUpsert, ValidationErrors>) -> Vec<String> {
        result
            .err()
            .map(|e| e.fields.into_iter().map(|(k, _)| k).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_body_that_is_not_an_object_needs_collection_and_items() {
        assert_eq!(keys(upsert(json!([1, 2]))), ["collection", "items"]);
    }

    #[test]
    fn message_counts_the_other_errors() {
        let mut errors = ValidationErrors::default();
        errors.add("b", "B.");
        assert_eq!(errors.body().message, "B.");
        errors.add("b", "B2.");
        assert_eq!(errors.body().message, "B. (and 1 more error)");
        errors.add("a", "A.");
        let text = serde_json::to_string(&errors.body()).unwrap_or_default();
        assert_eq!(
            text,
            r#"{"message":"B. (and 2 more errors)","errors":{"b":["B.","B2."],"a":["A."]}}"#
        );
    }

    #[test]
    fn broken_declarations_do_not_also_fail_the_values() {
        let body = json!({
            "collection": {"slug": "x", "metadata": {"status": {"type": "enum"}}},
            "items": [{"id": "1", "data": {}, "metadata": {"status": "anything"}}]
        });
        assert_eq!(keys(upsert(body)), ["collection.metadata.status.options"]);
    }
}
