//! What the emulator holds: items by collection and tenant, the collection
//! schemas, the history of upserts, and the chats.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::plain::{PlainItem, PlainUpsert};
use crate::time::iso8601;
use crate::validate::{Question, ValidCollection, ValidItem, ValidUpsert};

/// An item as the emulator stored it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredItem {
    /// The slug of the item's collection.
    pub collection: String,
    /// The tenant the item belongs to; `None` in a single-tenant project.
    pub tenant: Option<i64>,
    /// The item's id, as text (integer ids are kept as their decimal text).
    pub id: String,
    /// The searchable content.
    pub data: Map<String, Value>,
    /// The filterable labels, with keys declared by the collection.
    pub metadata: Map<String, Value>,
    /// The link back to the record in the user's application.
    pub url: Option<String>,
}

/// A collection schema as the last upsert to that collection declared it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCollection {
    /// The collection's slug.
    pub slug: String,
    /// `collection.metadata` as sent: a map of field name to `{"type": ...}`.
    pub metadata: Value,
}

/// Where an upsert is in its processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum UpsertStatus {
    /// Accepted and waiting; the emulator's upserts stay here for the
    /// configured processing time.
    Queued,
    /// Processed. The emulator's items are searchable from the moment they
    /// are accepted; only the reported status waits.
    Completed,
}

/// One accepted upsert, as `GET /v1/upserts` reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Upsert {
    /// The upsert's id (a string in JSON bodies).
    pub id: u64,
    /// The slug of the collection it wrote to.
    pub collection: String,
    /// How many items it carried.
    pub chunk_size: usize,
    /// `Queued` until the processing time has passed, then `Completed`.
    pub status: UpsertStatus,
    /// When it was accepted, ISO 8601 UTC.
    pub created_at: String,
    /// When it completed, ISO 8601 UTC; `None` while it is queued.
    pub completed_at: Option<String>,
}

/// The emulator's data, shared by handle: clone it to inspect it, or pass it
/// to [`EmulatorBuilder::store`](crate::EmulatorBuilder::store) so that a
/// restarted emulator keeps what an earlier one held.
///
/// ```
/// let store = vectorify_emulator::Store::new();
/// assert_eq!(store.item_count(), 0);
/// ```
#[derive(Clone, Default)]
pub struct Store {
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Store")
            .field("collections", &state.collections.len())
            .field("items", &state.item_count)
            .field("upserts", &state.upserts.len())
            .field("chats", &state.chats.len())
            .finish()
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The items of one collection, all tenants, sorted by (tenant, id).
    pub fn items(&self, collection: &str) -> Vec<StoredItem> {
        self.lock()
            .collections
            .get(collection)
            .map(|c| {
                c.items()
                    .map(|(tenant, id, item)| item.to_stored(collection, tenant, id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One item by collection, tenant and id.
    pub fn item(&self, collection: &str, tenant: Option<i64>, id: &str) -> Option<StoredItem> {
        let state = self.lock();
        let item = state
            .collections
            .get(collection)?
            .tenants
            .get(&tenant)?
            .get(id)?;
        Some(item.to_stored(collection, tenant, id))
    }

    /// The number of items in all collections.
    pub fn item_count(&self) -> usize {
        self.lock().item_count
    }

    /// The collection schemas, sorted by slug.
    pub fn collections(&self) -> Vec<StoredCollection> {
        self.lock()
            .collections
            .iter()
            .map(|(slug, c)| StoredCollection {
                slug: slug.clone(),
                metadata: c.metadata.clone(),
            })
            .collect()
    }

    /// Every accepted upsert, oldest first.
    pub fn upserts(&self) -> Vec<Upsert> {
        let state = self.lock();
        let now = Instant::now();
        (0..state.upserts.len())
            .filter_map(|index| state.upsert_at(index, now))
            .collect()
    }

    /// The number of chats, including those `POST /v1/query` opened.
    pub fn chat_count(&self) -> usize {
        self.lock().chats.len()
    }

    /// Forgets every item, collection, upsert and chat.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A handler cannot leave the state half-written, so a poisoned lock
        // still guards consistent data.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An item's `data` as the store keeps it: the JSON text it was sent as
/// (read into a map only when the item is inspected or searched), or the
/// map itself when the body was read as a tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ItemData {
    Raw(Box<str>),
    Tree(Map<String, Value>),
}

impl ItemData {
    fn to_map(&self) -> Map<String, Value> {
        match self {
            // The text was checked to be an object when it was accepted.
            ItemData::Raw(text) => serde_json::from_str(text).unwrap_or_default(),
            ItemData::Tree(map) => map.clone(),
        }
    }
}

/// An item in its collection, keyed there by tenant and id.
#[derive(Debug)]
enum ItemEntry {
    /// An item read by the plain reader, as the text it was sent as, in one
    /// string: `data`'s JSON text, then `metadata`'s (empty when it was left
    /// out or `null`), then the url. Each part is read only when the item is
    /// inspected or searched; replacing the item reuses the string's memory.
    Packed {
        text: String,
        data_end: usize,
        metadata_end: usize,
        has_url: bool,
    },
    /// An item read by the other readers, in parts.
    Parts {
        data: ItemData,
        metadata: Map<String, Value>,
        url: Option<String>,
    },
}

impl ItemEntry {
    /// Makes this entry hold `item`, reusing the memory of a packed entry.
    fn set_plain(&mut self, item: &PlainItem<'_>) {
        let mut text = match self {
            ItemEntry::Packed { text, .. } => std::mem::take(text),
            ItemEntry::Parts { .. } => String::new(),
        };
        text.clear();
        let metadata = item.metadata.unwrap_or_default();
        let url = item.url.unwrap_or_default();
        text.reserve_exact(item.data.len() + metadata.len() + url.len());
        text.push_str(item.data);
        let data_end = text.len();
        text.push_str(metadata);
        let metadata_end = text.len();
        text.push_str(url);
        *self = ItemEntry::Packed {
            text,
            data_end,
            metadata_end,
            has_url: item.url.is_some(),
        };
    }

    fn from_plain(item: &PlainItem<'_>) -> Self {
        let mut entry = ItemEntry::Packed {
            text: String::new(),
            data_end: 0,
            metadata_end: 0,
            has_url: false,
        };
        entry.set_plain(item);
        entry
    }

    fn to_stored(&self, collection: &str, tenant: Option<i64>, id: &str) -> StoredItem {
        let (data, metadata, url) = match self {
            ItemEntry::Packed {
                text,
                data_end,
                metadata_end,
                has_url,
            } => {
                // Each part was checked when the item was accepted: the data
                // is an object, the metadata an object or nothing.
                let data = text.get(..*data_end).unwrap_or_default();
                let metadata = text.get(*data_end..*metadata_end).unwrap_or_default();
                let url = text.get(*metadata_end..).unwrap_or_default();
                (
                    serde_json::from_str(data).unwrap_or_default(),
                    match metadata {
                        "" => Map::new(),
                        metadata => serde_json::from_str(metadata).unwrap_or_default(),
                    },
                    has_url.then(|| url.to_owned()),
                )
            }
            ItemEntry::Parts {
                data,
                metadata,
                url,
            } => (data.to_map(), metadata.clone(), url.clone()),
        };
        StoredItem {
            collection: collection.to_owned(),
            tenant,
            id: id.to_owned(),
            data,
            metadata,
            url,
        }
    }
}

/// The items of one tenant, by id.
type TenantItems = BTreeMap<Box<str>, ItemEntry>;

#[derive(Debug, Default)]
struct CollectionEntry {
    metadata: Value,
    /// Items by tenant, then by id: iterating gives (tenant, id) order, and
    /// an item is found by a borrowed id without building a key.
    tenants: BTreeMap<Option<i64>, TenantItems>,
}

impl CollectionEntry {
    /// Every item with its tenant and id, in (tenant, id) order.
    fn items(&self) -> impl Iterator<Item = (Option<i64>, &str, &ItemEntry)> {
        self.tenants.iter().flat_map(|(tenant, items)| {
            items
                .iter()
                .map(move |(id, item)| (*tenant, id.as_ref(), item))
        })
    }

    /// The items of `tenant`, created when the tenant has none yet.
    fn tenant_items(&mut self, tenant: Option<i64>) -> &mut TenantItems {
        self.tenants.entry(tenant).or_default()
    }
}

#[derive(Debug)]
struct UpsertEntry {
    collection: String,
    chunk_size: usize,
    created: SystemTime,
    processing: Duration,
    ready_at: Instant,
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug)]
pub(crate) struct ChatEntry {
    pub(crate) name: String,
    pub(crate) tenant: Option<i64>,
    pub(crate) collections: Option<Vec<String>>,
    pub(crate) identifier: Value,
    pub(crate) created: SystemTime,
    pub(crate) feedback: Option<String>,
    pub(crate) messages: Vec<u64>,
}

#[derive(Debug)]
pub(crate) struct MessageEntry {
    pub(crate) chat_id: u64,
    pub(crate) role: Role,
    pub(crate) text: String,
    pub(crate) identifier: Value,
    pub(crate) feedback: Option<String>,
    pub(crate) created: SystemTime,
}

/// The data behind the lock. Ids of upserts, chats and messages count from 1
/// and index the vectors, so lookups by id cost nothing.
#[derive(Debug, Default)]
pub(crate) struct State {
    collections: BTreeMap<String, CollectionEntry>,
    item_count: usize,
    upserts: Vec<UpsertEntry>,
    chats: Vec<ChatEntry>,
    messages: Vec<MessageEntry>,
}

impl State {
    /// Stores a validated upsert: the collection schema is replaced by the
    /// one sent, and each item replaces any with the same (tenant, id).
    /// Returns the new upsert's creation time.
    pub(crate) fn apply_upsert(&mut self, upsert: ValidUpsert, processing: Duration) -> SystemTime {
        let chunk_size = upsert.items.len();
        self.upsert_into(upsert.collection, chunk_size, processing, |entry| {
            let mut added = 0;
            for item in upsert.items {
                let ValidItem {
                    id,
                    tenant,
                    data,
                    metadata,
                    url,
                } = item;
                let stored = ItemEntry::Parts {
                    data,
                    metadata,
                    url,
                };
                let items = entry.tenant_items(tenant);
                match items.get_mut(id.as_str()) {
                    Some(old) => *old = stored,
                    None => {
                        items.insert(id.into(), stored);
                        added += 1;
                    }
                }
            }
            added
        })
    }

    /// Stores an upsert the plain reader accepted, as
    /// [`apply_upsert`](State::apply_upsert) stores a validated one.
    pub(crate) fn apply_plain_upsert(
        &mut self,
        upsert: PlainUpsert<'_>,
        processing: Duration,
    ) -> SystemTime {
        let chunk_size = upsert.items.len();
        self.upsert_into(upsert.collection, chunk_size, processing, |entry| {
            let mut added = 0;
            for item in &upsert.items {
                let items = entry.tenant_items(item.tenant);
                match items.get_mut(item.id) {
                    Some(stored) => stored.set_plain(item),
                    None => {
                        items.insert(item.id.into(), ItemEntry::from_plain(item));
                        added += 1;
                    }
                }
            }
            added
        })
    }

    /// Replaces the schema of the collection an upsert declares with the one
    /// sent, lets `store` put the items in (it returns how many are new), and
    /// adds the upsert to the history; returns its creation time.
    fn upsert_into(
        &mut self,
        collection: ValidCollection,
        chunk_size: usize,
        processing: Duration,
        store: impl FnOnce(&mut CollectionEntry) -> usize,
    ) -> SystemTime {
        let ValidCollection { slug, metadata } = collection;
        let entry = match self.collections.get_mut(&slug) {
            Some(entry) => entry,
            None => self.collections.entry(slug.clone()).or_default(),
        };
        entry.metadata = metadata;
        self.item_count += store(entry);
        self.record_upsert(slug, chunk_size, processing)
    }

    /// Adds an upsert to the history; returns its creation time.
    fn record_upsert(
        &mut self,
        slug: String,
        chunk_size: usize,
        processing: Duration,
    ) -> SystemTime {
        let created = SystemTime::now();
        self.upserts.push(UpsertEntry {
            collection: slug,
            chunk_size,
            created,
            processing,
            ready_at: Instant::now() + processing,
        });
        created
    }

    /// One upsert by id.
    pub(crate) fn upsert(&self, id: u64) -> Option<Upsert> {
        let index = usize::try_from(id.checked_sub(1)?).ok()?;
        self.upsert_at(index, Instant::now())
    }

    /// A page of upserts, newest first, and the total.
    pub(crate) fn upserts_newest_first(&self, offset: usize, limit: usize) -> (Vec<Upsert>, usize) {
        let now = Instant::now();
        let total = self.upserts.len();
        let page = (0..total)
            .rev()
            .skip(offset)
            .take(limit)
            .filter_map(|index| self.upsert_at(index, now))
            .collect();
        (page, total)
    }

    fn upsert_at(&self, index: usize, now: Instant) -> Option<Upsert> {
        let entry = self.upserts.get(index)?;
        let completed = now >= entry.ready_at;
        Some(Upsert {
            id: index as u64 + 1,
            collection: entry.collection.clone(),
            chunk_size: entry.chunk_size,
            status: if completed {
                UpsertStatus::Completed
            } else {
                UpsertStatus::Queued
            },
            created_at: iso8601(entry.created),
            completed_at: completed.then(|| {
                iso8601(
                    entry
                        .created
                        .checked_add(entry.processing)
                        .unwrap_or(entry.created),
                )
            }),
        })
    }

    /// Calls `visit` on each item a question may match: those of the asked
    /// collections (all when none are named) and of the asked tenant (all
    /// tenants when none is given).
    pub(crate) fn for_each_candidate(
        &self,
        collections: Option<&[String]>,
        tenant: Option<i64>,
        mut visit: impl FnMut(&StoredItem),
    ) {
        let mut visit_collection = |slug: &str, entry: &CollectionEntry| match tenant {
            Some(tenant) => {
                for (id, item) in entry.tenants.get(&Some(tenant)).into_iter().flatten() {
                    visit(&item.to_stored(slug, Some(tenant), id));
                }
            }
            None => {
                for (tenant, id, item) in entry.items() {
                    visit(&item.to_stored(slug, tenant, id));
                }
            }
        };
        match collections {
            Some(slugs) if !slugs.is_empty() => {
                for slug in slugs {
                    if let Some(entry) = self.collections.get(slug) {
                        visit_collection(slug, entry);
                    }
                }
            }
            _ => self
                .collections
                .iter()
                .for_each(|(slug, entry)| visit_collection(slug, entry)),
        }
    }

    /// Opens a chat for a question; returns its id.
    pub(crate) fn open_chat(&mut self, question: &Question) -> u64 {
        let name: String = question.text.chars().take(60).collect();
        self.chats.push(ChatEntry {
            name,
            tenant: question.tenant,
            collections: question.collections.clone(),
            identifier: question.identifier.clone(),
            created: SystemTime::now(),
            feedback: None,
            messages: Vec::new(),
        });
        self.chats.len() as u64
    }

    /// Adds a message to a chat; returns its id, or `None` for an unknown chat.
    pub(crate) fn add_message(
        &mut self,
        chat_id: u64,
        role: Role,
        text: String,
        identifier: Value,
    ) -> Option<u64> {
        let index = usize::try_from(chat_id.checked_sub(1)?).ok()?;
        self.chats.get(index)?;
        self.messages.push(MessageEntry {
            chat_id,
            role,
            text,
            identifier,
            feedback: None,
            created: SystemTime::now(),
        });
        let id = self.messages.len() as u64;
        self.chats[index].messages.push(id);
        Some(id)
    }

    pub(crate) fn chat(&self, id: u64) -> Option<&ChatEntry> {
        self.chats.get(usize::try_from(id.checked_sub(1)?).ok()?)
    }

    pub(crate) fn chat_mut(&mut self, id: u64) -> Option<&mut ChatEntry> {
        self.chats
            .get_mut(usize::try_from(id.checked_sub(1)?).ok()?)
    }

    pub(crate) fn chat_count(&self) -> usize {
        self.chats.len()
    }

    /// A message by id, only if it belongs to `chat_id`.
    pub(crate) fn message(&self, chat_id: u64, id: u64) -> Option<&MessageEntry> {
        let message = self
            .messages
            .get(usize::try_from(id.checked_sub(1)?).ok()?)?;
        (message.chat_id == chat_id).then_some(message)
    }

    /// A message by id, only if it belongs to `chat_id`.
    pub(crate) fn message_mut(&mut self, chat_id: u64, id: u64) -> Option<&mut MessageEntry> {
        let message = self
            .messages
            .get_mut(usize::try_from(id.checked_sub(1)?).ok()?)?;
        (message.chat_id == chat_id).then_some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{fast, plain};

    const BODY: &str = concat!(
        r#"{"collection":{"slug":"c","metadata":{"k":{"type":"string"}}},"items":["#,
        r#"{"id":"b","data":{"x":[1,{"y":"z"}]},"metadata":{"k":"v","k":null},"tenant":2,"url":"u"},"#,
        r#"{"id":"a","data":{},"metadata":{"k":"w"}},"#,
        r#"{"id":"a","data":{"n":1},"tenant":2,"url":null},"#,
        r#"{"id":"b","data":{"x":2},"tenant":2,"url":""}]}"#
    );

    /// What the store holds after `body`, read one way or the other.
    fn stored(upsert: impl FnOnce(&mut State)) -> (Vec<StoredItem>, usize) {
        let store = Store::new();
        upsert(&mut store.lock());
        (store.items("c"), store.item_count())
    }

    #[test]
    fn packed_items_read_back_as_items_stored_in_parts() {
        let packed = stored(|state| {
            let upsert = plain::upsert(BODY.as_bytes()).expect("a plain body");
            state.apply_plain_upsert(upsert, Duration::ZERO);
        });
        let parts = stored(|state| {
            let upsert = fast::upsert(BODY.as_bytes()).expect("a valid body");
            state.apply_upsert(upsert, Duration::ZERO);
        });
        assert_eq!(packed, parts);
        assert_eq!(packed.1, 3);
        let keys: Vec<_> = packed.0.iter().map(|i| (i.tenant, i.id.as_str())).collect();
        assert_eq!(keys, [(None, "a"), (Some(2), "a"), (Some(2), "b")]);
        assert_eq!(packed.0[2].url.as_deref(), Some(""));
        assert_eq!(packed.0[1].url, None);
        assert_eq!(packed.0[0].metadata["k"], "w");
    }

    #[test]
    fn a_packed_item_replaces_one_in_parts_and_back() {
        let store = Store::new();
        let mut state = store.lock();
        let fast_upsert = fast::upsert(BODY.as_bytes()).expect("a valid body");
        state.apply_upsert(fast_upsert, Duration::ZERO);
        let short = r#"{"collection":{"slug":"c"},"items":[{"id":"b","data":{},"tenant":2}]}"#;
        let upsert = plain::upsert(short.as_bytes()).expect("a plain body");
        state.apply_plain_upsert(upsert, Duration::ZERO);
        let upsert = plain::upsert(BODY.as_bytes()).expect("a plain body");
        state.apply_plain_upsert(upsert, Duration::ZERO);
        drop(state);
        assert_eq!(store.item_count(), 3);
        let item = store.item("c", Some(2), "b").expect("the item");
        assert_eq!(
            item.data,
            serde_json::from_str::<Map<_, _>>(r#"{"x":2}"#).unwrap()
        );
        assert_eq!(store.upserts().len(), 3);
    }
}
