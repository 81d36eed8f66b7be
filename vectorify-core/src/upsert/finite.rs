//! Numbers JSON cannot carry: serde_json writes a NaN or an infinity as
//! `null`, which would store something other than what the item holds. The
//! batch writer watches for `null` as it writes (most items write none), and
//! only an item that wrote one is walked again to find a non-finite number
//! and where it sits.

use std::cell::Cell;
use std::fmt;
use std::io;

use serde::ser::{self, Serialize};

/// serde_json's compact output, noting whether any `null` was written: a
/// NaN or an infinity is written as one.
pub(crate) struct NullWatch<'a>(pub(crate) &'a Cell<bool>);

impl serde_json::ser::Formatter for NullWatch<'_> {
    fn write_null<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.set(true);
        writer.write_all(b"null")
    }
}

/// A non-finite number found in a value, and where.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NonFinite {
    /// Dotted path from the serialized value's root, as the API names fields
    /// (`data.readings.2`).
    pub(crate) path: String,
    /// The number: a NaN or an infinity.
    pub(crate) value: f64,
}

/// The first NaN or infinity `value` serializes, if any.
pub(crate) fn find<T: Serialize + ?Sized>(value: &T) -> Option<NonFinite> {
    // Most values that wrote a `null` hold no such number: look without
    // keeping the path first, and walk again for the path only if one is found.
    let mut looking = Walker { path: None };
    if !matches!(value.serialize(&mut looking), Err(Stop::Found(_))) {
        return None;
    }
    let mut locating = Walker {
        path: Some(Vec::new()),
    };
    match value.serialize(&mut locating) {
        Err(Stop::Found(found)) => Some(found),
        // A value that fails to serialize has already failed the first pass.
        Err(Stop::Failed) | Ok(()) => None,
    }
}

/// Why the walk stopped early.
#[derive(Debug)]
enum Stop {
    Found(NonFinite),
    Failed,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Found(found) => write!(f, "{} at {}", found.value, found.path),
            Stop::Failed => f.write_str("the value could not be serialized"),
        }
    }
}

impl std::error::Error for Stop {}

impl ser::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop::Failed
    }
}

/// A serializer that writes nothing and only looks at floats, keeping (when
/// asked to) the path of keys and indexes that leads to the value it is in.
struct Walker {
    path: Option<Vec<String>>,
}

impl Walker {
    fn float(&self, value: f64) -> Result<(), Stop> {
        if value.is_finite() {
            return Ok(());
        }
        Err(Stop::Found(NonFinite {
            path: self
                .path
                .as_ref()
                .map(|path| path.join("."))
                .unwrap_or_default(),
            value,
        }))
    }

    /// Walks `value` one level down, under the segment `segment` names.
    fn enter<T: Serialize + ?Sized>(
        &mut self,
        segment: impl FnOnce() -> String,
        value: &T,
    ) -> Result<(), Stop> {
        let Some(path) = &mut self.path else {
            return value.serialize(self);
        };
        path.push(segment());
        let result = value.serialize(&mut *self);
        if let Some(path) = &mut self.path {
            path.pop();
        }
        result
    }
}

/// A sequence, tuple or map being walked: the walker and the next index.
struct Compound<'w> {
    walker: &'w mut Walker,
    index: usize,
    /// The text of the last map key, for the value that follows it.
    key: Option<String>,
}

impl<'w> Compound<'w> {
    fn new(walker: &'w mut Walker) -> Self {
        Compound {
            walker,
            index: 0,
            key: None,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let index = self.index;
        self.index += 1;
        self.walker.enter(|| index.to_string(), value)
    }
}

/// Opens a variant: `{"Variant": ...}` puts what follows one level down.
fn variant<'w>(walker: &'w mut Walker, variant: &'static str) -> Compound<'w> {
    if let Some(path) = &mut walker.path {
        path.push(variant.to_owned());
    }
    Compound::new(walker)
}

/// Closes what [`variant`] opened.
fn end_variant(compound: Compound<'_>) -> Result<(), Stop> {
    if let Some(path) = &mut compound.walker.path {
        path.pop();
    }
    Ok(())
}

impl<'w> ser::Serializer for &'w mut Walker {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Compound<'w>;
    type SerializeTuple = Compound<'w>;
    type SerializeTupleStruct = Compound<'w>;
    type SerializeTupleVariant = Compound<'w>;
    type SerializeMap = Compound<'w>;
    type SerializeStruct = Compound<'w>;
    type SerializeStructVariant = Compound<'w>;

    fn serialize_f32(self, value: f32) -> Result<(), Stop> {
        self.float(f64::from(value))
    }

    fn serialize_f64(self, value: f64) -> Result<(), Stop> {
        self.float(value)
    }

    fn serialize_bool(self, _: bool) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_i8(self, _: i8) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_i16(self, _: i16) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_i32(self, _: i32) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_i64(self, _: i64) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_i128(self, _: i128) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_u8(self, _: u8) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_u16(self, _: u16) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_u32(self, _: u32) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_u64(self, _: u64) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_u128(self, _: u128) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_char(self, _: char) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_str(self, _: &str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_bytes(self, _: &[u8]) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.enter(|| variant.to_owned(), value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'w>, Stop> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'w>, Stop> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>, Stop> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'w>, Stop> {
        Ok(variant(self, name))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'w>, Stop> {
        Ok(Compound::new(self))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'w>, Stop> {
        Ok(Compound::new(self))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        name: &'static str,
        _: usize,
    ) -> Result<Compound<'w>, Stop> {
        Ok(variant(self, name))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }

    fn end(self) -> Result<(), Stop> {
        end_variant(self)
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Stop> {
        if self.walker.path.is_none() {
            return Ok(());
        }
        // JSON keys are text; serde_json refuses a key that is not finite.
        let text = match serde_json::to_value(key) {
            Ok(serde_json::Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(_) => return Err(Stop::Failed),
        };
        self.key = Some(text);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Stop> {
        let key = self.key.take();
        self.walker.enter(|| key.unwrap_or_default(), value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.walker.enter(|| key.to_owned(), value)
    }

    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Stop;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        self.walker.enter(|| key.to_owned(), value)
    }

    fn end(self) -> Result<(), Stop> {
        end_variant(self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    enum Reading {
        Pair(f64, f32),
        Labelled { value: f64 },
        One(f64),
    }

    #[derive(Serialize)]
    struct Sample {
        name: &'static str,
        values: Vec<f64>,
        by_key: BTreeMap<u32, Option<f64>>,
        reading: Reading,
    }

    fn sample() -> Sample {
        Sample {
            name: "ok",
            values: vec![1.0, -0.0, f64::MAX],
            by_key: [(7, Some(1.5)), (8, None)].into(),
            reading: Reading::Labelled { value: 2.0 },
        }
    }

    #[test]
    fn finite_values_pass() {
        assert_eq!(find(&sample()), None);
        assert_eq!(find(&f64::MIN_POSITIVE), None);
    }

    #[test]
    fn finds_the_first_non_finite_number_and_its_path() {
        let mut nan_in_list = sample();
        nan_in_list.values[1] = f64::NAN;
        let found = find(&nan_in_list);
        assert_eq!(found.as_ref().map(|f| f.path.as_str()), Some("values.1"));
        assert!(found.is_some_and(|f| f.value.is_nan()));

        let mut in_map = sample();
        in_map.by_key.insert(8, Some(f64::NEG_INFINITY));
        assert_eq!(
            find(&in_map),
            Some(NonFinite {
                path: "by_key.8".into(),
                value: f64::NEG_INFINITY,
            })
        );

        let mut in_variant = sample();
        in_variant.reading = Reading::Labelled {
            value: f64::INFINITY,
        };
        assert_eq!(
            find(&in_variant).map(|f| f.path),
            Some("reading.Labelled.value".into())
        );
        in_variant.reading = Reading::Pair(0.0, f32::NAN);
        assert_eq!(
            find(&in_variant).map(|f| f.path),
            Some("reading.Pair.1".into())
        );
        in_variant.reading = Reading::One(f64::NAN);
        assert_eq!(
            find(&in_variant).map(|f| f.path),
            Some("reading.One".into())
        );
    }

    #[test]
    fn the_watch_sees_the_null_serde_json_writes_for_a_nan() {
        let wrote_null = Cell::new(false);
        let mut out = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut out, NullWatch(&wrote_null));
        assert!([1.0, 2.5].serialize(&mut serializer).is_ok());
        assert!(!wrote_null.get());
        assert!([1.0, f64::NAN].serialize(&mut serializer).is_ok());
        assert!(wrote_null.get());
        assert_eq!(out, b"[1.0,2.5][1.0,null]");
    }
}
