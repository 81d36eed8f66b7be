//! Reading the fields of the API's answers whose types it does not document:
//! text that may be `null`, numbers that may come as text, lists that may be
//! `null`. Each reader takes what a reasonable server could send and never
//! fails on a value it can read some way.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Text that may be missing or `null`; a number or a boolean is taken as
/// its JSON text, and so is an object or a list.
pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(text),
        Some(other) => Some(other.to_string()),
    })
}

/// As [`text`], with `""` for a missing or `null` value.
pub(crate) fn text_or_empty<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    text(deserializer).map(Option::unwrap_or_default)
}

/// A count or a page number: an unsigned integer, or the text of one (a
/// Laravel paginator echoes `per_page` as the query string gave it). Any
/// other value reads as `None`.
pub(crate) fn number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Value>::deserialize(deserializer)? {
        Some(Value::Number(number)) => number.as_u64(),
        Some(Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// A value whose `null` means its default (an empty list, say).
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(deserializer).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Fields {
        #[serde(default, deserialize_with = "text")]
        text: Option<String>,
        #[serde(default, deserialize_with = "number")]
        number: Option<u64>,
        #[serde(default, deserialize_with = "or_default")]
        list: Vec<u8>,
    }

    fn read(json: &str) -> Fields {
        match serde_json::from_str(json) {
            Ok(fields) => fields,
            Err(error) => panic!("{json} did not read: {error}"),
        }
    }

    #[test]
    fn text_takes_strings_numbers_and_null() {
        assert_eq!(read(r#"{"text":"up"}"#).text.as_deref(), Some("up"));
        assert_eq!(read(r#"{"text":1}"#).text.as_deref(), Some("1"));
        assert_eq!(read(r#"{"text":true}"#).text.as_deref(), Some("true"));
        assert_eq!(read(r#"{"text":null}"#).text, None);
        assert_eq!(read("{}").text, None);
    }

    #[test]
    fn numbers_may_come_as_text() {
        assert_eq!(read(r#"{"number":15}"#).number, Some(15));
        assert_eq!(read(r#"{"number":"15"}"#).number, Some(15));
        assert_eq!(read(r#"{"number":"many"}"#).number, None);
        assert_eq!(read(r#"{"number":-1}"#).number, None);
    }

    #[test]
    fn null_lists_are_empty() {
        assert!(read(r#"{"list":null}"#).list.is_empty());
        assert_eq!(read(r#"{"list":[1,2]}"#).list, [1, 2]);
    }
}
