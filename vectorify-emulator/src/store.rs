//! What the emulator holds: items by collection and tenant, the collection
//! schemas, the history of upserts, and the chats.

use std::collections::{BTreeMap, btree_map};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::time::iso8601;
use crate::validate::{Question, ValidUpsert};

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
                c.items
                    .iter()
                    .map(|(key, item)| item.to_stored(collection, key))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// One item by collection, tenant and id.
    pub fn item(&self, collection: &str, tenant: Option<i64>, id: &str) -> Option<StoredItem> {
        let state = self.lock();
        let items = &state.collections.get(collection)?.items;
        let key = (tenant, id.to_owned());
        items.get(&key).map(|item| item.to_stored(collection, &key))
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

/// An item in its collection, keyed there by (tenant, id).
#[derive(Debug)]
struct ItemEntry {
    data: ItemData,
    metadata: Map<String, Value>,
    url: Option<String>,
}

impl ItemEntry {
    fn to_stored(&self, collection: &str, (tenant, id): &(Option<i64>, String)) -> StoredItem {
        StoredItem {
            collection: collection.to_owned(),
            tenant: *tenant,
            id: id.clone(),
            data: self.data.to_map(),
            metadata: self.metadata.clone(),
            url: self.url.clone(),
        }
    }
}

#[derive(Debug, Default)]
struct CollectionEntry {
    metadata: Value,
    items: BTreeMap<(Option<i64>, String), ItemEntry>,
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
        let slug = upsert.collection.slug;
        let chunk_size = upsert.items.len();
        let entry = match self.collections.get_mut(&slug) {
            Some(entry) => entry,
            None => self.collections.entry(slug.clone()).or_default(),
        };
        entry.metadata = upsert.collection.metadata;

        let mut added = 0;
        for item in upsert.items {
            let stored = ItemEntry {
                data: item.data,
                metadata: item.metadata,
                url: item.url,
            };
            match entry.items.entry((item.tenant, item.id)) {
                btree_map::Entry::Occupied(mut occupied) => {
                    occupied.insert(stored);
                }
                btree_map::Entry::Vacant(vacant) => {
                    vacant.insert(stored);
                    added += 1;
                }
            }
        }
        self.item_count += added;

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
            Some(tenant) => entry
                .items
                .range((Some(tenant), String::new())..)
                .take_while(|((t, _), _)| *t == Some(tenant))
                .for_each(|(key, item)| visit(&item.to_stored(slug, key))),
            None => entry
                .items
                .iter()
                .for_each(|(key, item)| visit(&item.to_stored(slug, key))),
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
