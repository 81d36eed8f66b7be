//! A collection: its slug and the schema of its metadata.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// A Vectorify collection: the slug that names it and the metadata its items
/// may carry.
///
/// `#[derive(Vectorify)]` builds one for each type through
/// [`Vectorify::collection`](crate::Vectorify::collection); it is sent with
/// every upsert batch, so the API always knows the schema.
///
/// ```
/// use vectorify_core::{Collection, MetadataType};
///
/// let invoices = Collection::new("invoices")
///     .with_metadata("customer_name", MetadataType::String)
///     .with_metadata("status", MetadataType::enumeration(["draft", "sent", "paid"]));
///
/// assert_eq!(
///     serde_json::to_string(&invoices).unwrap(),
///     r#"{"slug":"invoices","metadata":{"customer_name":{"type":"string"},"status":{"type":"enum","options":["draft","sent","paid"]}}}"#,
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Collection {
    slug: Cow<'static, str>,
    #[serde(serialize_with = "serialize_fields")]
    metadata: Vec<MetadataField>,
}

/// One declared metadata key of a [`Collection`] and its type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetadataField {
    /// The key, as it appears in each item's `metadata`.
    pub name: Cow<'static, str>,
    /// What values the key takes.
    pub kind: MetadataType,
}

/// The type of a metadata key, as the API declares it.
///
/// Serializes as `{"type":"string"}`, `{"type":"enum","options":[...]}` or
/// `{"type":"datetime"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
#[non_exhaustive]
pub enum MetadataType {
    /// Free text.
    String,
    /// One of a fixed list of options.
    Enum {
        /// The values the key may take; the API wants at least one.
        options: Vec<Cow<'static, str>>,
    },
    /// A date or a date and time, sent as ISO 8601 text.
    Datetime,
}

impl MetadataType {
    /// An `enum` type with the given options.
    pub fn enumeration<I, S>(options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        MetadataType::Enum {
            options: options.into_iter().map(Into::into).collect(),
        }
    }
}

impl Collection {
    /// A collection with the given slug and no metadata.
    pub fn new(slug: impl Into<Cow<'static, str>>) -> Self {
        Collection {
            slug: slug.into(),
            metadata: Vec::new(),
        }
    }

    /// Declares one more metadata key. A key declared twice keeps its last type.
    #[must_use]
    pub fn with_metadata(mut self, name: impl Into<Cow<'static, str>>, kind: MetadataType) -> Self {
        let name = name.into();
        match self.metadata.iter_mut().find(|field| field.name == name) {
            Some(field) => field.kind = kind,
            None => self.metadata.push(MetadataField { name, kind }),
        }
        self
    }

    /// The slug that names the collection.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The declared metadata keys, in declaration order.
    pub fn metadata(&self) -> &[MetadataField] {
        &self.metadata
    }

    /// The type declared for a metadata key, if any.
    pub fn metadata_type(&self, name: &str) -> Option<&MetadataType> {
        self.metadata
            .iter()
            .find(|field| field.name == name)
            .map(|field| &field.kind)
    }
}

fn serialize_fields<S: Serializer>(
    fields: &[MetadataField],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(fields.len()))?;
    for field in fields {
        map.serialize_entry(&field.name, &field.kind)?;
    }
    map.end()
}
