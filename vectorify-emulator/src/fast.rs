//! The quick reading of a `POST /upserts` body: typed, with borrowed
//! strings, and each item's `data` kept as the JSON text it was sent as. It
//! reads the bodies that [`plain::upsert`](crate::plain::upsert), quicker
//! still, leaves (escaped strings in `data`, exponents, negative ids...).
//!
//! It only ever answers "valid, and here is what to store" for a body that
//! [`validate::upsert`] would accept with the same result. Anything it is
//! unsure of (an error, an escaped string, a deeply nested value, a
//! duplicate or unknown field) sends the body down the full path, which
//! builds the JSON tree and reports every error.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::store::ItemData;
use crate::time::is_iso8601;
use crate::validate::{
    self, FieldType, MAX_ITEMS_PER_UPSERT, ValidCollection, ValidItem, ValidUpsert,
};

/// The most `{` and `[` a sub-document read on its own may hold, so that it
/// stays far below the parser's nesting limit for the whole body.
const MAX_BRACKETS: usize = 64;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body<'a> {
    #[serde(borrow)]
    collection: Option<&'a RawValue>,
    #[serde(borrow)]
    items: Option<Vec<Item<'a>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Item<'a> {
    #[serde(borrow)]
    id: Id<'a>,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(borrow)]
    metadata: Option<Labels<'a>>,
    tenant: Option<i64>,
    #[serde(borrow)]
    url: Option<&'a str>,
}

/// An item id: a string without escapes, or an integer.
enum Id<'a> {
    Text(&'a str),
    Unsigned(u64),
    Signed(i64),
}

impl<'de: 'a, 'a> Deserialize<'de> for Id<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl<'de> Visitor<'de> for IdVisitor {
            type Value = Id<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Id::Text(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Id::Unsigned(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Id::Signed(v))
            }
        }
        deserializer.deserialize_any(IdVisitor)
    }
}

/// An item's metadata: names and values that are strings (without escapes)
/// or `null`, in the order sent, duplicates included.
struct Labels<'a>(Vec<(&'a str, Option<&'a str>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut labels = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(name) = map.next_key::<&'de str>()? {
                    labels.push((name, map.next_value::<Option<&'de str>>()?));
                }
                Ok(Labels(labels))
            }
        }
        deserializer.deserialize_map(LabelsVisitor)
    }
}

/// Reads any JSON value the way the tree parser would, storing nothing, so
/// that a value it accepts is one the tree parser accepts too.
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_none<E: de::Error>(self) -> Result<Checked, E> {
        Ok(Checked)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Checked, D::Error> {
        Checked::deserialize(deserializer)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}

/// Whether `raw` is a JSON object the tree parser would read as well.
fn is_object(raw: &RawValue) -> bool {
    let text = raw.get();
    text.starts_with('{') && few_brackets(text) && serde_json::from_str::<Checked>(text).is_ok()
}

fn few_brackets(text: &str) -> bool {
    text.bytes().filter(|b| matches!(b, b'{' | b'[')).count() <= MAX_BRACKETS
}

/// The upsert in `body` when it is certainly valid; `None` sends the body
/// down the full path.
pub(crate) fn upsert(body: &[u8]) -> Option<ValidUpsert> {
    // One check of the whole text, so that the parser need not check each
    // string it lends out; a body that is not UTF-8 takes the full path.
    let text = std::str::from_utf8(body).ok()?;
    let body: Body<'_> = serde_json::from_str(text).ok()?;
    let (collection, fields) = collection(body.collection?.get())?;

    let items = body.items?;
    if items.is_empty() || items.len() > MAX_ITEMS_PER_UPSERT {
        return None;
    }
    let mut valid = Vec::with_capacity(items.len());
    for item in items {
        valid.push(take_item(item, &fields)?);
    }
    Some(ValidUpsert {
        collection,
        items: valid,
    })
}

/// The collection declared by the JSON text `text` and its metadata fields,
/// when the declaration is valid; `None` otherwise.
pub(crate) fn collection(text: &str) -> Option<(ValidCollection, Vec<(String, FieldType)>)> {
    if !few_brackets(text) {
        return None;
    }
    let mut collection: Value = serde_json::from_str(text).ok()?;
    let mut errors = validate::ValidationErrors::default();
    let (slug, fields) = validate::collection(Some(&collection), &mut errors);
    let (slug, fields) = match (slug, fields) {
        (Some(slug), Some(fields)) if errors.is_empty() => (slug, fields),
        _ => return None,
    };
    let metadata = collection
        .get_mut("metadata")
        .map(Value::take)
        .filter(|metadata| !metadata.is_null())
        .unwrap_or_else(|| Value::Object(Map::new()));
    Some((ValidCollection { slug, metadata }, fields))
}

fn take_item(item: Item<'_>, fields: &[(String, FieldType)]) -> Option<ValidItem> {
    let id = match item.id {
        Id::Text(id) if !id.trim().is_empty() => id.to_owned(),
        Id::Text(_) => return None,
        Id::Unsigned(n) => n.to_string(),
        Id::Signed(n) => n.to_string(),
    };
    if !is_object(item.data) {
        return None;
    }
    let mut metadata = Map::new();
    for (name, value) in item.metadata.map(|labels| labels.0).unwrap_or_default() {
        let (_, field_type) = fields.iter().find(|(declared, _)| declared == name)?;
        let fits = match (field_type, value) {
            (_, None) => true,
            (FieldType::String, Some(_)) => true,
            (FieldType::Enum(options), Some(s)) => options.iter().any(|option| option == s),
            (FieldType::Datetime, Some(s)) => is_iso8601(s),
            (FieldType::Broken, _) => false,
        };
        if !fits {
            return None;
        }
        let value = value.map_or(Value::Null, |s| Value::String(s.to_owned()));
        metadata.insert(name.to_owned(), value);
    }
    Some(ValidItem {
        id,
        tenant: item.tenant,
        data: ItemData::Raw(item.data.get().into()),
        metadata,
        url: item.url.map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the full path stores for `body`, with `data` as a map.
    fn full(body: &str) -> Option<ValidUpsert> {
        let tree = serde_json::from_str(body).ok()?;
        validate::upsert(tree).ok()
    }

    fn as_trees(mut upsert: ValidUpsert) -> ValidUpsert {
        for item in &mut upsert.items {
            if let ItemData::Raw(text) = &item.data {
                item.data = ItemData::Tree(serde_json::from_str(text).unwrap_or_default());
            }
        }
        upsert
    }

    #[test]
    fn agrees_with_the_full_path_or_defers_to_it() {
        let meta = r#"{"slug":"s","metadata":{"k":{"type":"enum","options":["a","b"]},"d":{"type":"datetime"}}}"#;
        let items = [
            r#"{"id":"1","data":{"x":1,"x":2},"metadata":{"k":"a","k":null},"tenant":5,"url":"u"}"#,
            r#"{"id":12,"data":{"deep":[[[{"y":1.5e3}]]]}}"#,
            r#"{"id":-3,"data":{},"tenant":null,"url":null,"metadata":null}"#,
            r#"{"id":"\u0031","data":{}}"#,
            r#"{"id":" ","data":{}}"#,
            r#"{"id":"1","data":{"n":1e400}}"#,
            r#"{"id":"1","data":{"s":"\ud800"}}"#,
            r#"{"id":"1","data":[]}"#,
            r#"{"id":"1","data":{},"metadata":{"k":"c"}}"#,
            r#"{"id":"1","data":{},"metadata":{"d":"2024-01-01T00:00:00Z"}}"#,
            r#"{"id":"1","data":{},"metadata":{"z":"a"}}"#,
            r#"{"id":"1","data":{},"extra":1e400}"#,
            r#"{"id":"1","data":{},"tenant":18446744073709551615}"#,
            r#"{"id":1.0,"data":{}}"#,
        ];
        for item in items {
            let body = format!(r#"{{"collection":{meta},"items":[{item}]}}"#);
            if let Some(quick) = upsert(body.as_bytes()) {
                assert_eq!(Some(as_trees(quick)), full(&body), "{body}");
            }
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let body =
            format!(r#"{{"collection":{meta},"items":[{{"id":"1","data":{{"a":{deep}}}}}]}}"#);
        assert!(upsert(body.as_bytes()).is_none());
        assert!(full(&body).is_none());
    }
}
