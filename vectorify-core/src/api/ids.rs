//! The ids of upserts, chats and messages.
//!
//! The API writes ids as text in its bodies (`"id": "42"`) and as integers in
//! its paths (`/chats/42`). Each id keeps the text it was read as, reads an
//! integer as well as text, and is made from an integer or from text.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident, $what:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// The id as text, as it goes into a path.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text.
            pub fn into_string(self) -> String {
                self.0
            }

            /// The id as a path segment; an id that would not stay one
            /// segment of its own is refused before anything is sent.
            pub(crate) fn segment(&self) -> Result<&str, Error> {
                segment($what, &self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        ids!(@integers $name: i32 i64 u32 u64 usize);

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(IdVisitor($what)).map($name)
            }
        }
    )*};

    (@integers $name:ident: $($int:ty)*) => {$(
        impl From<$int> for $name {
            fn from(id: $int) -> Self {
                $name(id.to_string())
            }
        }
    )*};
}

ids! {
    /// The id of an upsert, as [`Client::fetch_upsert`](crate::Client::fetch_upsert)
    /// takes it.
    ///
    /// ```
    /// use vectorify_core::api::UpsertId;
    ///
    /// assert_eq!(UpsertId::from(42).as_str(), "42");
    /// ```
    UpsertId, "upsert";

    /// The id of a chat.
    ///
    /// ```
    /// use vectorify_core::api::ChatId;
    ///
    /// let id: ChatId = serde_json::from_str(r#""7""#)?;
    /// assert_eq!(id, ChatId::from(7));
    /// // An integer reads too, as older answers wrote ids.
    /// assert_eq!(serde_json::from_str::<ChatId>("7")?, id);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    ChatId, "chat";

    /// The id of a message in a chat.
    MessageId, "message";
}

/// An id as a path segment. Every character is percent-encoded as the URL
/// is built, but an empty id, `.` and `..` would change which path is
/// asked for rather than name something in it.
fn segment<'a>(what: &'static str, id: &'a str) -> Result<&'a str, Error> {
    match id {
        "" | "." | ".." => Err(Error::InvalidId {
            what,
            id: id.to_owned(),
        }),
        id => Ok(id),
    }
}

/// Reads an id written as text or as an integer.
struct IdVisitor(&'static str);

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} id: text or an integer", self.0)
    }

    fn visit_str<E: de::Error>(self, id: &str) -> Result<String, E> {
        Ok(id.to_owned())
    }

    fn visit_string<E: de::Error>(self, id: String) -> Result<String, E> {
        Ok(id)
    }

    fn visit_u64<E: de::Error>(self, id: u64) -> Result<String, E> {
        Ok(id.to_string())
    }

    fn visit_i64<E: de::Error>(self, id: i64) -> Result<String, E> {
        Ok(id.to_string())
    }
}
