//! Metadata values: which Rust types can be metadata, the schema type each
//! declares, and how each value is written.

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use serde::Serializer;

use crate::MetadataType;

/// A type that can be a metadata field: it declares its [`MetadataType`] and
/// writes its values.
///
/// Implemented for string types (`string`), for fieldless enums that derive
/// `Vectorify` (`enum`), for chrono's and time's date and date-time types
/// with the `chrono` and `time` features (`datetime`, as ISO 8601), and for
/// `Option`s of these, which leave the key out when `None`.
///
/// Implement it for a type of your own:
///
/// ```
/// use serde::Serializer;
/// use vectorify_core::{MetadataType, MetadataValue};
///
/// struct CountryCode([u8; 2]);
///
/// impl MetadataValue for CountryCode {
///     fn metadata_type() -> MetadataType {
///         MetadataType::String
///     }
///
///     fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
///         let code = std::str::from_utf8(&self.0).map_err(serde::ser::Error::custom)?;
///         serializer.serialize_str(code)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a metadata field",
    label = "not a metadata type",
    note = "metadata takes string types (`String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>`), fieldless enums with `#[derive(Vectorify)]`, chrono or time dates (features `chrono`, `time`), or an `Option` of one of these",
    note = "for a type of your own, implement `vectorify_core::MetadataValue`, or leave the field in `data` only by removing `metadata`"
)]
pub trait MetadataValue {
    /// The type the collection declares for this field.
    fn metadata_type() -> MetadataType;

    /// Writes the value as the API receives it.
    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Whether the value is there at all; `false` leaves the key out of the
    /// item's metadata.
    fn is_present(&self) -> bool {
        true
    }
}

impl MetadataValue for str {
    fn metadata_type() -> MetadataType {
        MetadataType::String
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl MetadataValue for String {
    fn metadata_type() -> MetadataType {
        MetadataType::String
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self)
    }
}

impl<T: MetadataValue> MetadataValue for Option<T> {
    fn metadata_type() -> MetadataType {
        T::metadata_type()
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(value) => value.serialize_value(serializer),
            None => serializer.serialize_none(),
        }
    }

    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(MetadataValue::is_present)
    }
}

macro_rules! through_pointers {
    ($($pointer:ident),*) => {$(
        impl<T: MetadataValue + ?Sized> MetadataValue for $pointer<T> {
            fn metadata_type() -> MetadataType {
                T::metadata_type()
            }

            fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                (**self).serialize_value(serializer)
            }

            fn is_present(&self) -> bool {
                (**self).is_present()
            }
        }
    )*};
}

through_pointers!(Box, Rc, Arc);

impl<T: MetadataValue + ?Sized> MetadataValue for &T {
    fn metadata_type() -> MetadataType {
        T::metadata_type()
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize_value(serializer)
    }

    fn is_present(&self) -> bool {
        (**self).is_present()
    }
}

impl<T: MetadataValue + ToOwned + ?Sized> MetadataValue for Cow<'_, T> {
    fn metadata_type() -> MetadataType {
        T::metadata_type()
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize_value(serializer)
    }

    fn is_present(&self) -> bool {
        (**self).is_present()
    }
}

#[cfg(any(feature = "chrono", feature = "time"))]
mod iso8601 {
    //! ISO 8601 text for the date types, written without allocating.

    use std::fmt::{self, Write};

    pub(super) fn date(f: &mut impl Write, year: i32, month: u8, day: u8) -> fmt::Result {
        if (0..=9999).contains(&year) {
            write!(f, "{year:04}-{month:02}-{day:02}")
        } else {
            // ISO 8601's expanded form for years outside 0000-9999.
            write!(f, "{year:+05}-{month:02}-{day:02}")
        }
    }

    pub(super) fn time(
        f: &mut impl Write,
        hour: u8,
        minute: u8,
        second: u8,
        nanosecond: u32,
    ) -> fmt::Result {
        write!(f, "T{hour:02}:{minute:02}:{second:02}")?;
        if nanosecond == 0 {
            Ok(())
        } else if nanosecond % 1_000_000 == 0 {
            write!(f, ".{:03}", nanosecond / 1_000_000)
        } else if nanosecond % 1_000 == 0 {
            write!(f, ".{:06}", nanosecond / 1_000)
        } else {
            write!(f, ".{nanosecond:09}")
        }
    }

    pub(super) fn offset(f: &mut impl Write, seconds: i32) -> fmt::Result {
        if seconds == 0 {
            return f.write_char('Z');
        }
        let sign = if seconds < 0 { '-' } else { '+' };
        let seconds = seconds.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", seconds / 3600, seconds / 60 % 60)
    }

    /// Formats through a closure, for `Serializer::collect_str`.
    pub(super) struct Display<F>(pub(super) F);

    impl<F: Fn(&mut fmt::Formatter<'_>) -> fmt::Result> fmt::Display for Display<F> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (self.0)(f)
        }
    }
}

#[cfg(feature = "chrono")]
mod chrono_types {
    use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeZone, Timelike};
    use serde::Serializer;

    use super::iso8601::{self, Display};
    use crate::{MetadataType, MetadataValue};

    // chrono's months and days are at most 12 and 31, so the narrowing casts
    // below cannot truncate.
    fn date(f: &mut std::fmt::Formatter<'_>, date: &NaiveDate) -> std::fmt::Result {
        iso8601::date(f, date.year(), date.month() as u8, date.day() as u8)
    }

    fn date_time(f: &mut std::fmt::Formatter<'_>, value: &NaiveDateTime) -> std::fmt::Result {
        date(f, &value.date())?;
        let nanosecond = value.nanosecond();
        iso8601::time(
            f,
            value.hour() as u8,
            value.minute() as u8,
            value.second() as u8,
            nanosecond,
        )
    }

    impl MetadataValue for NaiveDate {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| date(f, self)))
        }
    }

    impl MetadataValue for NaiveDateTime {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| {
                date_time(f, self)
            }))
        }
    }

    impl<Tz: TimeZone> MetadataValue for DateTime<Tz> {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let local = self.naive_local();
            let offset = self.offset().fix().local_minus_utc();
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| {
                date_time(f, &local)?;
                iso8601::offset(f, offset)
            }))
        }
    }
}

#[cfg(feature = "time")]
mod time_types {
    use serde::Serializer;
    use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcDateTime};

    use super::iso8601::{self, Display};
    use crate::{MetadataType, MetadataValue};

    fn date(f: &mut std::fmt::Formatter<'_>, date: Date) -> std::fmt::Result {
        iso8601::date(f, date.year(), date.month().into(), date.day())
    }

    fn date_time(f: &mut std::fmt::Formatter<'_>, value: PrimitiveDateTime) -> std::fmt::Result {
        date(f, value.date())?;
        iso8601::time(
            f,
            value.hour(),
            value.minute(),
            value.second(),
            value.nanosecond(),
        )
    }

    impl MetadataValue for Date {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| date(f, *self)))
        }
    }

    impl MetadataValue for PrimitiveDateTime {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| {
                date_time(f, *self)
            }))
        }
    }

    impl MetadataValue for OffsetDateTime {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let local = PrimitiveDateTime::new(self.date(), self.time());
            let offset = self.offset().whole_seconds();
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| {
                date_time(f, local)?;
                iso8601::offset(f, offset)
            }))
        }
    }

    impl MetadataValue for UtcDateTime {
        fn metadata_type() -> MetadataType {
            MetadataType::Datetime
        }

        fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let local = PrimitiveDateTime::new(self.date(), self.time());
            serializer.collect_str(&Display(|f: &mut std::fmt::Formatter<'_>| {
                date_time(f, local)?;
                iso8601::offset(f, 0)
            }))
        }
    }
}
