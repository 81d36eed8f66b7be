//! The `Vectorify` trait: what a type tells the library to become items of
//! one collection.

use std::borrow::Cow;

use serde::Serializer;

#[cfg(feature = "client")]
use crate::{Client, Error, UpsertReceipt};
use crate::{Collection, Item, Tenant};

/// A type whose values are items of one Vectorify collection.
///
/// Derive it: `#[derive(Vectorify)]` reads the type's fields and attributes
/// and writes every method below. Implementing it by hand is possible but
/// rarely needed.
///
/// ```
/// use serde::Serialize;
/// use vectorify_core::Vectorify;
///
/// #[derive(Clone, Copy, Serialize, Vectorify)]
/// #[serde(rename_all = "lowercase")]
/// enum Status { Draft, Sent, Paid }
///
/// #[derive(Vectorify)]
/// #[vectorify(collection = "invoices")]
/// struct Invoice {
///     #[vectorify(id)]
///     id: u64,
///     #[vectorify(metadata)]
///     customer_name: String,
///     #[vectorify(metadata)]
///     status: Status,
///     amount: String,
///     #[vectorify(tenant)]
///     tenant: u64,
/// }
///
/// assert_eq!(Invoice::SLUG, "invoices");
/// let invoice = Invoice {
///     id: 123,
///     customer_name: "John Doe".into(),
///     status: Status::Draft,
///     amount: "100".into(),
///     tenant: 987,
/// };
/// assert_eq!(
///     serde_json::to_string(&invoice.to_item()).unwrap(),
///     r#"{"id":"123","data":{"customer_name":"John Doe","status":"draft","amount":"100"},"metadata":{"customer_name":"John Doe","status":"draft"},"tenant":987}"#,
/// );
/// ```
pub trait Vectorify {
    /// The slug of the type's collection.
    const SLUG: &'static str;

    /// The collection: its slug and its metadata schema.
    fn collection() -> Collection;

    /// The item's id, as the API receives it.
    fn item_id(&self) -> Cow<'_, str>;

    /// The item's tenant; `None` leaves the key out.
    fn tenant(&self) -> Option<Tenant> {
        None
    }

    /// The link back to the record in the application; `None` leaves the key
    /// out.
    fn url(&self) -> Option<Cow<'_, str>> {
        None
    }

    /// Writes the item's `data` object.
    fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error>;

    /// Writes the item's `metadata` object; the default writes `{}`.
    fn serialize_metadata<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }

    /// The item for this record, ready to send.
    fn to_item(&self) -> Item<'_, Self>
    where
        Self: Sized,
    {
        Item::new(self)
    }

    /// Upserts this record: sends it to its collection, retrying as the
    /// client's [`RetryPolicy`](crate::RetryPolicy) allows, and returns the
    /// API's receipt once it has accepted it. For many records, use
    /// [`Client::upsert_all`].
    ///
    /// ```no_run
    /// use vectorify_core::{Client, Vectorify};
    ///
    /// #[derive(Vectorify)]
    /// #[vectorify(collection = "invoices")]
    /// struct Invoice {
    ///     #[vectorify(id)]
    ///     id: u64,
    ///     amount: String,
    /// }
    ///
    /// # async fn run() -> Result<(), vectorify_core::Error> {
    /// let client = Client::from_env()?;
    /// let receipt = Invoice { id: 123, amount: "100".into() }.upsert(&client).await?;
    /// println!("{:?} at {:?}", receipt.result, receipt.created_at);
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "client")]
    fn upsert<'a>(
        &'a self,
        client: &'a Client,
    ) -> impl Future<Output = Result<UpsertReceipt, Error>> + Send + 'a
    where
        Self: Sized + Sync,
    {
        client.upsert(self)
    }
}
