//! The upserts the API has received: the receipt of one as it is accepted,
//! where each stands in its processing, and the history of them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use tracing::debug;

use super::fields;
use super::ids::UpsertId;
use super::page::Listing;
use crate::{Client, Error};

/// What the API answered when it accepted an upsert:
/// `{"data": {"result": "Queued", "created_at": "..."}}`, returned by
/// [`Vectorify::upsert`](crate::Vectorify::upsert) and
/// [`Client::upsert`].
///
/// The API processes upserts after accepting them; a receipt says the
/// items were taken, not yet that they can be asked about.
///
/// ```
/// use vectorify_core::{UpsertReceipt, UpsertStatus};
///
/// let receipt: UpsertReceipt =
///     serde_json::from_str(r#"{"result": "Queued", "created_at": "2024-05-01T12:00:00Z"}"#)?;
/// assert_eq!(receipt.result, Some(UpsertStatus::Queued));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UpsertReceipt {
    /// Where the upsert stands: `Queued` as the API accepts it. `None` when
    /// the answer did not say.
    #[serde(default)]
    pub result: Option<UpsertStatus>,
    /// When the API accepted it, as the API writes times.
    #[serde(default, deserialize_with = "fields::text")]
    pub created_at: Option<String>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl UpsertReceipt {
    /// Reads the receipt from the body of the answer that accepted an
    /// upsert. The items were accepted whatever the body says, so a body
    /// that does not read gives an empty receipt rather than an error.
    pub(crate) fn from_body(body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Data {
            data: UpsertReceipt,
        }

        match serde_json::from_slice::<Data>(body) {
            Ok(Data { data }) => data,
            Err(error) => {
                debug!(error = %error, "the upsert was accepted, but the answer's receipt does not read");
                UpsertReceipt::default()
            }
        }
    }
}

/// Where an upsert stands: `Pending`, `Queued`, `Processing`, then
/// `Completed` or `Failed`. A status this library does not know is kept as
/// [`UpsertStatus::Other`] rather than refused.
///
/// ```
/// use vectorify_core::UpsertStatus;
///
/// let status: UpsertStatus = serde_json::from_str(r#""Completed""#)?;
/// assert!(status.is_finished());
/// let status: UpsertStatus = serde_json::from_str(r#""Deferred""#)?;
/// assert_eq!(status, UpsertStatus::Other("Deferred".into()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum UpsertStatus {
    /// Received, not yet queued.
    Pending,
    /// Waiting to be processed.
    Queued,
    /// Being processed.
    Processing,
    /// Processed: the items can be asked about.
    Completed,
    /// Processing failed.
    Failed,
    /// A status this library does not know, as the API wrote it.
    Other(String),
}

impl UpsertStatus {
    /// The status as the API writes it.
    pub fn as_str(&self) -> &str {
        match self {
            UpsertStatus::Pending => "Pending",
            UpsertStatus::Queued => "Queued",
            UpsertStatus::Processing => "Processing",
            UpsertStatus::Completed => "Completed",
            UpsertStatus::Failed => "Failed",
            UpsertStatus::Other(status) => status,
        }
    }

    /// Whether the upsert's processing is over: completed or failed.
    pub fn is_finished(&self) -> bool {
        matches!(self, UpsertStatus::Completed | UpsertStatus::Failed)
    }
}

impl From<&str> for UpsertStatus {
    /// Reads a status; the known ones in any case (`"queued"` is
    /// [`Queued`](UpsertStatus::Queued)).
    fn from(status: &str) -> Self {
        const KNOWN: [UpsertStatus; 5] = [
            UpsertStatus::Pending,
            UpsertStatus::Queued,
            UpsertStatus::Processing,
            UpsertStatus::Completed,
            UpsertStatus::Failed,
        ];
        KNOWN
            .into_iter()
            .find(|known| known.as_str().eq_ignore_ascii_case(status.trim()))
            .unwrap_or_else(|| UpsertStatus::Other(status.to_owned()))
    }
}

impl fmt::Display for UpsertStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for UpsertStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for UpsertStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let status = fields::text_or_empty(deserializer)?;
        Ok(UpsertStatus::from(status.as_str()))
    }
}

/// One upsert the API received, as its history lists it.
///
/// The API does not document these fields; the dashboard shows the
/// collection, the number of items, the status and the times. Each is
/// `None` when the API leaves it out, and fields this library does not know
/// are kept in [`extra`](Self::extra).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Upsert {
    /// The upsert's id, for [`Client::fetch_upsert`].
    pub id: UpsertId,
    /// The slug of the collection it wrote to.
    #[serde(default, deserialize_with = "fields::text")]
    pub collection: Option<String>,
    /// How many items it carried.
    #[serde(default, deserialize_with = "fields::number")]
    pub chunk_size: Option<u64>,
    /// Where it stands.
    #[serde(default)]
    pub status: Option<UpsertStatus>,
    /// When the API accepted it, as the API writes times.
    #[serde(default, deserialize_with = "fields::text")]
    pub created_at: Option<String>,
    /// When its processing ended, if it has.
    #[serde(default, deserialize_with = "fields::text")]
    pub completed_at: Option<String>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The history of upserts, as `GET /upserts` and `GET /upserts/{id}` serve
/// it.
impl Client {
    /// The upserts the API has received (`GET /upserts`), newest first,
    /// page by page.
    ///
    /// ```no_run
    /// # async fn run(client: vectorify_core::Client) -> Result<(), vectorify_core::Error> {
    /// let mut upserts = client.upsert_history().per_page(100).items();
    /// while let Some(upsert) = upserts.next().await {
    ///     let upsert = upsert?;
    ///     println!("{} {:?} {:?}", upsert.id, upsert.collection, upsert.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn upsert_history(&self) -> Listing<Upsert> {
        Listing::new(self.clone(), "upserts")
    }

    /// One upsert of the history (`GET /upserts/{id}`): where it stands.
    pub async fn fetch_upsert(&self, id: impl Into<UpsertId>) -> Result<Upsert, Error> {
        let id = id.into();
        self.get_data(&["upserts", id.segment()?]).await
    }
}
