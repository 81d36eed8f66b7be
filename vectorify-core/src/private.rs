//! Support for the code that `#[derive(Vectorify)]` writes. Not public API:
//! nothing here follows semantic versioning.

use serde::ser::{Serialize, Serializer};

use crate::MetadataValue;

pub use serde;
pub use std::borrow::Cow;
pub use std::format;
pub use std::option::Option::{self, None, Some};
pub use std::result::Result;
pub use std::vec::Vec;

/// A metadata field's value, written through [`MetadataValue`].
pub struct MetadataEntry<'a, T: ?Sized>(pub &'a T);

impl<T: MetadataValue + ?Sized> Serialize for MetadataEntry<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_value(serializer)
    }
}

/// Whether a metadata value is there, or leaves its key out.
pub fn metadata_present<T: MetadataValue + ?Sized>(value: &T) -> bool {
    value.is_present()
}

/// The schema type of a metadata field.
pub fn metadata_type<T: MetadataValue + ?Sized>() -> crate::MetadataType {
    T::metadata_type()
}
