//! Support for the code that `#[derive(Vectorify)]` writes. Not public API:
//! nothing here follows semantic versioning.

use serde::ser::{Serialize, SerializeStruct, Serializer};

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

/// The schema type of a metadata field.
pub fn metadata_type<T: MetadataValue + ?Sized>() -> crate::MetadataType {
    T::metadata_type()
}

/// The `enum` type of a derived enum, from its options. Not generic, so that
/// it is compiled here once rather than in every crate that derives.
pub fn enum_options(options: &'static [&'static str]) -> crate::MetadataType {
    crate::MetadataType::enumeration(options.iter().copied())
}

/// One `data` field: its key and its value, or `None` to leave it out (a
/// `None` option, or a `skip_serializing_if` that held).
pub struct DataField<'a, T: ?Sized> {
    key: &'static str,
    value: Option<&'a T>,
}

/// A field written as it is.
#[inline]
pub fn field<'a, T: Serialize + ?Sized>(key: &'static str, value: &'a T) -> DataField<'a, T> {
    DataField {
        key,
        value: Some(value),
    }
}

/// An `Option` field: `Some` writes the value, `None` leaves the key out.
#[inline]
pub fn optional_field<'a, T: Serialize>(
    key: &'static str,
    value: &'a Option<T>,
) -> DataField<'a, T> {
    DataField {
        key,
        value: value.as_ref(),
    }
}

impl<T: ?Sized> DataField<'_, T> {
    /// Leaves the field out unless `keep`.
    #[inline]
    pub fn when(mut self, keep: bool) -> Self {
        if !keep {
            self.value = None;
        }
        self
    }
}

/// One metadata field: its key and its value.
pub struct MetadataField<'a, T: ?Sized> {
    key: &'static str,
    value: &'a T,
}

/// A metadata field, written through [`MetadataValue`].
#[inline]
pub fn metadata_field<'a, T: MetadataValue + ?Sized>(
    key: &'static str,
    value: &'a T,
) -> MetadataField<'a, T> {
    MetadataField { key, value }
}

/// The fields of a `data` or `metadata` object, as one value: a
/// [`DataField`], a [`MetadataField`] or a tuple of `Fields`. The derive
/// writes every field as one such tuple, so that a struct's impl calls one
/// generic function instead of one trait method per field, which is what
/// costs the compiler most in a crate of many structs.
pub trait Fields {
    /// How many fields are written.
    fn count(&self) -> usize;

    /// Writes the fields that are there, and skips the others.
    fn write<S: SerializeStruct>(&self, state: &mut S) -> Result<(), S::Error>;
}

impl<T: Serialize + ?Sized> Fields for DataField<'_, T> {
    #[inline]
    fn count(&self) -> usize {
        usize::from(self.value.is_some())
    }

    #[inline]
    fn write<S: SerializeStruct>(&self, state: &mut S) -> Result<(), S::Error> {
        match self.value {
            Some(value) => state.serialize_field(self.key, value),
            None => state.skip_field(self.key),
        }
    }
}

impl<T: MetadataValue + ?Sized> Fields for MetadataField<'_, T> {
    #[inline]
    fn count(&self) -> usize {
        usize::from(self.value.is_present())
    }

    #[inline]
    fn write<S: SerializeStruct>(&self, state: &mut S) -> Result<(), S::Error> {
        if self.value.is_present() {
            state.serialize_field(self.key, &MetadataEntry(self.value))
        } else {
            state.skip_field(self.key)
        }
    }
}

// Tuples of up to 12 fields; the derive nests tuples for more.
macro_rules! tuples {
    ($($name:ident)*) => {
        impl<$($name: Fields),*> Fields for ($($name,)*) {
            #[inline]
            fn count(&self) -> usize {
                #[allow(non_snake_case)]
                let ($($name,)*) = self;
                0 $(+ $name.count())*
            }

            #[inline]
            fn write<S: SerializeStruct>(&self, _state: &mut S) -> Result<(), S::Error> {
                #[allow(non_snake_case)]
                let ($($name,)*) = self;
                $($name.write(_state)?;)*
                Ok(())
            }
        }
    };
}

tuples!();
tuples!(A);
tuples!(A B);
tuples!(A B C);
tuples!(A B C D);
tuples!(A B C D E);
tuples!(A B C D E F);
tuples!(A B C D E F G);
tuples!(A B C D E F G H);
tuples!(A B C D E F G H I);
tuples!(A B C D E F G H I J);
tuples!(A B C D E F G H I J K);
tuples!(A B C D E F G H I J K L);

/// Writes an object of `fields`, as serde writes a struct named `name`: a
/// `data` object, or a `metadata` object of the fields that are present.
#[inline]
pub fn serialize_fields<S: Serializer, F: Fields>(
    serializer: S,
    name: &'static str,
    fields: F,
) -> Result<S::Ok, S::Error> {
    let mut state = serializer.serialize_struct(name, fields.count())?;
    fields.write(&mut state)?;
    state.end()
}
