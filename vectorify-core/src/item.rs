//! An item: one record as the upsert call sends it, and the keys that
//! identify it (id, tenant, url).

use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::Vectorify;

/// One record, ready to send: its id, `data`, `metadata`, tenant and url.
///
/// An item borrows the record it was made from and writes the record's fields
/// straight into the request body when it is serialized, so building one
/// costs no copies of the data.
///
/// ```
/// use vectorify_core::Vectorify;
///
/// #[derive(Vectorify)]
/// struct Note {
///     #[vectorify(id)]
///     id: u32,
///     body: String,
/// }
///
/// let note = Note { id: 7, body: "Call back on Monday".into() };
/// let item = note.to_item();
/// assert_eq!(item.id(), "7");
/// assert_eq!(
///     serde_json::to_string(&item).unwrap(),
///     r#"{"id":"7","data":{"body":"Call back on Monday"},"metadata":{}}"#,
/// );
/// ```
pub struct Item<'a, T> {
    record: &'a T,
    id: Cow<'a, str>,
    tenant: Option<Tenant>,
    url: Option<Cow<'a, str>>,
}

impl<'a, T: Vectorify> Item<'a, T> {
    /// The item for a record. [`Vectorify::to_item`] calls this.
    pub fn new(record: &'a T) -> Self {
        Item {
            id: record.item_id(),
            tenant: record.tenant(),
            url: record.url(),
            record,
        }
    }

    /// The id, as the API receives it.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tenant, if the record has one.
    pub fn tenant(&self) -> Option<Tenant> {
        self.tenant
    }

    /// The link back to the record in the application, if any.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The record the item was made from.
    pub fn record(&self) -> &'a T {
        self.record
    }
}

impl<T> fmt::Debug for Item<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Item")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl<T: Vectorify> Serialize for Item<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 3 + usize::from(self.tenant.is_some()) + usize::from(self.url.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry("id", &*self.id)?;
        map.serialize_entry("data", &Data(self.record))?;
        map.serialize_entry("metadata", &Metadata(self.record))?;
        if let Some(tenant) = &self.tenant {
            map.serialize_entry("tenant", tenant)?;
        }
        if let Some(url) = &self.url {
            map.serialize_entry("url", &**url)?;
        }
        map.end()
    }
}

/// A record's `data` object.
struct Data<'a, T>(&'a T);

impl<T: Vectorify> Serialize for Data<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}

/// A record's `metadata` object.
struct Metadata<'a, T>(&'a T);

impl<T: Vectorify> Serialize for Metadata<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_metadata(serializer)
    }
}

/// The tenant an item belongs to, in a multi-tenant project: an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tenant(i128);

impl Tenant {
    /// The tenant's number.
    pub fn get(self) -> i128 {
        self.0
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Tenant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Most tenants fit an i64 or a u64; serialize those natively so that
        // every serde format takes them, and only the rest as i128.
        if let Ok(small) = i64::try_from(self.0) {
            serializer.serialize_i64(small)
        } else if let Ok(unsigned) = u64::try_from(self.0) {
            serializer.serialize_u64(unsigned)
        } else {
            serializer.serialize_i128(self.0)
        }
    }
}

/// A type that can be an item's id: integers, string types and, with the
/// `uuid` feature, `uuid::Uuid`. The API receives every id as text.
///
/// Implement it for an id type of your own (a newtype around a number, say).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an item id",
    label = "not an id type",
    note = "an id is an integer, `String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>` or, with the `uuid` feature, `uuid::Uuid`; it cannot be optional",
    note = "for an id type of your own, implement `vectorify_core::ItemId`"
)]
pub trait ItemId {
    /// The id as the API receives it.
    fn item_id(&self) -> Cow<'_, str>;
}

/// A type that can be a tenant: an integer, or an `Option` of one where some
/// records have no tenant.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a tenant",
    label = "not a tenant type",
    note = "a tenant is an integer (`u64`, `i64`, ...) or an `Option` of one"
)]
pub trait TenantKey {
    /// The tenant, or `None` to leave the key out of the item.
    fn tenant(&self) -> Option<Tenant>;
}

/// A type that can be an item's url: a string type, or an `Option` of one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an item url",
    label = "not a url type",
    note = "a url is `String`, `&str`, `Cow<str>`, `Box<str>`, `Arc<str>`, or an `Option` of one"
)]
pub trait ItemUrl {
    /// The url, or `None` to leave the key out of the item.
    fn item_url(&self) -> Option<Cow<'_, str>>;
}

macro_rules! integer_keys {
    ($($int:ty)*) => {$(
        impl ItemId for $int {
            fn item_id(&self) -> Cow<'_, str> {
                Cow::Owned(itoa::Buffer::new().format(*self).to_owned())
            }
        }

        impl TenantKey for $int {
            fn tenant(&self) -> Option<Tenant> {
                Some(Tenant(i128::from(*self)))
            }
        }

        impl From<$int> for Tenant {
            fn from(tenant: $int) -> Self {
                Tenant(i128::from(tenant))
            }
        }
    )*};
}

integer_keys!(u8 u16 u32 u64 i8 i16 i32 i64 i128);

macro_rules! pointer_sized_keys {
    ($($int:ty => $wide:ty),*) => {$(
        impl ItemId for $int {
            fn item_id(&self) -> Cow<'_, str> {
                Cow::Owned(itoa::Buffer::new().format(*self).to_owned())
            }
        }

        impl TenantKey for $int {
            fn tenant(&self) -> Option<Tenant> {
                // Lossless: pointer-sized integers are at most 64 bits wide on
                // every target Rust supports today.
                <$wide>::try_from(*self).ok().map(|wide| Tenant(i128::from(wide)))
            }
        }
    )*};
}

pointer_sized_keys!(usize => u64, isize => i64);

impl ItemId for u128 {
    fn item_id(&self) -> Cow<'_, str> {
        Cow::Owned(itoa::Buffer::new().format(*self).to_owned())
    }
}

impl ItemId for str {
    fn item_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ItemId for String {
    fn item_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ItemUrl for str {
    fn item_url(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl ItemUrl for String {
    fn item_url(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self))
    }
}

impl<T: TenantKey> TenantKey for Option<T> {
    fn tenant(&self) -> Option<Tenant> {
        self.as_ref().and_then(TenantKey::tenant)
    }
}

impl<T: ItemUrl> ItemUrl for Option<T> {
    fn item_url(&self) -> Option<Cow<'_, str>> {
        self.as_ref().and_then(ItemUrl::item_url)
    }
}

macro_rules! through_pointers {
    ($($pointer:ident),*) => {$(
        impl<T: ItemId + ?Sized> ItemId for $pointer<T> {
            fn item_id(&self) -> Cow<'_, str> {
                (**self).item_id()
            }
        }

        impl<T: ItemUrl + ?Sized> ItemUrl for $pointer<T> {
            fn item_url(&self) -> Option<Cow<'_, str>> {
                (**self).item_url()
            }
        }

        impl<T: TenantKey + ?Sized> TenantKey for $pointer<T> {
            fn tenant(&self) -> Option<Tenant> {
                (**self).tenant()
            }
        }
    )*};
}

through_pointers!(Box, Rc, Arc);

impl<T: ItemId + ?Sized> ItemId for &T {
    fn item_id(&self) -> Cow<'_, str> {
        (**self).item_id()
    }
}

impl<T: ItemUrl + ?Sized> ItemUrl for &T {
    fn item_url(&self) -> Option<Cow<'_, str>> {
        (**self).item_url()
    }
}

impl<T: TenantKey + ?Sized> TenantKey for &T {
    fn tenant(&self) -> Option<Tenant> {
        (**self).tenant()
    }
}

impl<T: ItemId + ToOwned + ?Sized> ItemId for Cow<'_, T> {
    fn item_id(&self) -> Cow<'_, str> {
        (**self).item_id()
    }
}

impl<T: ItemUrl + ToOwned + ?Sized> ItemUrl for Cow<'_, T> {
    fn item_url(&self) -> Option<Cow<'_, str>> {
        (**self).item_url()
    }
}

#[cfg(feature = "uuid")]
impl ItemId for uuid::Uuid {
    fn item_id(&self) -> Cow<'_, str> {
        Cow::Owned(self.hyphenated().to_string())
    }
}
