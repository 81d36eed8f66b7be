//! Batches: items written straight into the JSON body of one upsert request,
//! `{"collection": ..., "items": [...]}`, and cut into smaller ones when the
//! API asks.

use std::cell::Cell;
use std::ops::Range;

use bytes::Bytes;
use serde::Serialize;

use super::finite::{self, NullWatch};
use crate::{Collection, Error, Vectorify};

/// The most items the API takes in one upsert.
pub const MAX_BATCH_SIZE: usize = 90;

const ITEMS_END: &[u8] = b"]}";

/// One item of a batch: where it came from and what it is called.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// Its position in the run's input, counting from 0.
    pub(crate) position: u64,
    /// Its id.
    pub(crate) id: String,
    /// Where its JSON sits in the body.
    span: Range<usize>,
}

/// The body of one upsert request, and the items it carries.
#[derive(Clone, Debug)]
pub(crate) struct Batch {
    /// The run's count of batches when this one was written; names it in logs.
    pub(crate) number: u64,
    pub(crate) entries: Vec<Entry>,
    pub(crate) body: Bytes,
    /// How many times items of this batch were sent again without the items
    /// the API named as invalid.
    pub(crate) resends: u32,
}

impl Batch {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// A batch of the same body's items at `keep` (positions within this
    /// batch, in order), with its own body.
    pub(crate) fn select(&self, prefix: &[u8], keep: &[usize]) -> Batch {
        let size: usize = keep
            .iter()
            .filter_map(|&index| self.entries.get(index))
            .map(|entry| entry.span.len() + 1)
            .sum();
        let mut body = Vec::with_capacity(prefix.len() + size + ITEMS_END.len());
        body.extend_from_slice(prefix);

        let mut entries = Vec::with_capacity(keep.len());
        for &index in keep {
            let Some(entry) = self.entries.get(index) else {
                continue;
            };
            let Some(json) = self.body.get(entry.span.clone()) else {
                continue;
            };
            if !entries.is_empty() {
                body.push(b',');
            }
            let start = body.len();
            body.extend_from_slice(json);
            entries.push(Entry {
                position: entry.position,
                id: entry.id.clone(),
                span: start..body.len(),
            });
        }
        body.extend_from_slice(ITEMS_END);

        Batch {
            number: self.number,
            entries,
            body: Bytes::from(body),
            resends: self.resends,
        }
    }

    /// The two halves of the batch, for an API that found it too large.
    pub(crate) fn halves(&self, prefix: &[u8]) -> (Batch, Batch) {
        let middle = self.len() / 2;
        let first: Vec<usize> = (0..middle).collect();
        let second: Vec<usize> = (middle..self.len()).collect();
        (self.select(prefix, &first), self.select(prefix, &second))
    }
}

/// What writing one item gave.
pub(crate) enum Written {
    /// The item is in the batch being written.
    Added,
    /// The item is in the batch being written, and that batch is full.
    Full(Batch),
    /// The item could not be written; it is not in any batch.
    Rejected {
        /// The item's id (`""` for an empty one).
        id: String,
        /// Why.
        error: Error,
    },
}

/// Writes items into batch bodies as they come.
pub(crate) struct BatchWriter {
    collection: &'static str,
    prefix: Result<Bytes, String>,
    max_items: usize,
    max_bytes: usize,
    body: Vec<u8>,
    entries: Vec<Entry>,
    batches: u64,
}

impl BatchWriter {
    /// A writer of batches of at most `max_items` items and (where it can
    /// keep to it) at most `max_bytes` bytes.
    pub(crate) fn new<T: Vectorify>(max_items: usize, max_bytes: usize) -> Self {
        let prefix = prefix(&T::collection());
        BatchWriter {
            collection: T::SLUG,
            prefix,
            max_items: max_items.clamp(1, MAX_BATCH_SIZE),
            max_bytes,
            body: Vec::new(),
            entries: Vec::new(),
            batches: 0,
        }
    }

    /// `{"collection":{...},"items":[`, the start of every body.
    pub(crate) fn prefix(&self) -> &[u8] {
        self.prefix.as_deref().unwrap_or_default()
    }

    /// Writes one item, the `position`-th of the input.
    pub(crate) fn push<T: Vectorify>(&mut self, record: &T, position: u64) -> Written {
        let collection = self.collection;
        let prefix = match &self.prefix {
            Ok(prefix) => prefix.clone(),
            Err(message) => {
                let id = record.item_id().into_owned();
                let error = Error::Serialize {
                    collection,
                    id: id.clone(),
                    source: serde::ser::Error::custom(format!(
                        "the collection could not be written: {message}"
                    )),
                };
                return Written::Rejected { id, error };
            }
        };

        let item = record.to_item();
        if item.id().is_empty() {
            let error = Error::EmptyId {
                collection,
                position,
            };
            return Written::Rejected {
                id: String::new(),
                error,
            };
        }

        if self.body.is_empty() {
            self.body.reserve(prefix.len() + 1024 * self.max_items);
            self.body.extend_from_slice(&prefix);
        }
        let before = self.body.len();
        if !self.entries.is_empty() {
            self.body.push(b',');
        }
        let start = self.body.len();
        let wrote_null = Cell::new(false);
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut self.body, NullWatch(&wrote_null));
        if let Err(source) = item.serialize(&mut serializer) {
            self.body.truncate(before);
            let id = item.id().to_owned();
            let error = Error::Serialize {
                collection,
                id: id.clone(),
                source,
            };
            return Written::Rejected { id, error };
        }
        // serde_json writes a NaN or an infinity as `null`: an item that
        // wrote a `null` is looked at again for one.
        if wrote_null.get() {
            if let Some(found) = finite::find(&item) {
                self.body.truncate(before);
                let id = item.id().to_owned();
                let error = Error::NonFiniteNumber {
                    collection,
                    id: id.clone(),
                    path: found.path,
                    value: found.value,
                };
                return Written::Rejected { id, error };
            }
        }
        let entry = Entry {
            position,
            id: item.id().to_owned(),
            span: start..self.body.len(),
        };

        // Past the size the API is known to refuse, the item starts the next
        // batch instead (alone, it is sent all the same: only the API can
        // tell whether it fits).
        if self.body.len() + ITEMS_END.len() > self.max_bytes && !self.entries.is_empty() {
            let json = self.body[start..].to_vec();
            self.body.truncate(before);
            let full = self.finish();
            self.body.extend_from_slice(&prefix);
            let start = self.body.len();
            self.body.extend_from_slice(&json);
            self.entries.push(Entry {
                span: start..self.body.len(),
                ..entry
            });
            return match full {
                Some(batch) => Written::Full(batch),
                None => Written::Added,
            };
        }

        self.entries.push(entry);
        if self.entries.len() >= self.max_items {
            return match self.finish() {
                Some(batch) => Written::Full(batch),
                None => Written::Added,
            };
        }
        Written::Added
    }

    /// Ends the batch being written, if it has any item.
    pub(crate) fn finish(&mut self) -> Option<Batch> {
        if self.entries.is_empty() {
            self.body.clear();
            return None;
        }
        self.body.extend_from_slice(ITEMS_END);
        let body = Bytes::from(std::mem::take(&mut self.body));
        let batch = Batch {
            number: self.batches,
            entries: std::mem::take(&mut self.entries),
            body,
            resends: 0,
        };
        self.batches += 1;
        Some(batch)
    }

    /// Sets the size past which items start a new batch.
    pub(crate) fn set_max_bytes(&mut self, max_bytes: usize) {
        self.max_bytes = max_bytes;
    }
}

fn prefix(collection: &Collection) -> Result<Bytes, String> {
    let mut prefix = b"{\"collection\":".to_vec();
    serde_json::to_writer(&mut prefix, collection).map_err(|error| error.to_string())?;
    prefix.extend_from_slice(b",\"items\":[");
    Ok(Bytes::from(prefix))
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use serde::Serializer;
    use serde::ser::SerializeMap;

    use super::*;

    struct Note {
        id: &'static str,
        text: &'static str,
    }

    impl Vectorify for Note {
        const SLUG: &'static str = "notes";

        fn collection() -> Collection {
            Collection::new("notes")
        }

        fn item_id(&self) -> Cow<'_, str> {
            Cow::Borrowed(self.id)
        }

        fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            if self.text == "bad" {
                return Err(serde::ser::Error::custom("no bad notes"));
            }
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry("text", self.text)?;
            map.end()
        }
    }

    fn body(batch: &Batch) -> serde_json::Value {
        serde_json::from_slice(&batch.body).unwrap_or_default()
    }

    fn full(written: Written) -> Batch {
        match written {
            Written::Full(batch) => batch,
            _ => panic!("expected a full batch"),
        }
    }

    #[test]
    fn writes_the_collection_and_items() {
        let mut writer = BatchWriter::new::<Note>(2, usize::MAX);
        assert!(matches!(
            writer.push(&Note { id: "1", text: "a" }, 0),
            Written::Added
        ));
        let batch = full(writer.push(&Note { id: "2", text: "b" }, 1));
        assert_eq!(
            body(&batch),
            serde_json::json!({
                "collection": {"slug": "notes", "metadata": {}},
                "items": [
                    {"id": "1", "data": {"text": "a"}, "metadata": {}},
                    {"id": "2", "data": {"text": "b"}, "metadata": {}}
                ]
            })
        );
        assert!(writer.finish().is_none());
    }

    #[test]
    fn leaves_out_items_that_fail_and_names_them() {
        let mut writer = BatchWriter::new::<Note>(90, usize::MAX);
        writer.push(&Note { id: "1", text: "a" }, 0);
        match writer.push(
            &Note {
                id: "2",
                text: "bad",
            },
            1,
        ) {
            Written::Rejected {
                error: Error::Serialize { id, .. },
                ..
            } => assert_eq!(id, "2"),
            _ => panic!("expected a serialization error"),
        }
        match writer.push(&Note { id: "", text: "a" }, 2) {
            Written::Rejected {
                error: Error::EmptyId { position, .. },
                ..
            } => assert_eq!(position, 2),
            _ => panic!("expected an empty id error"),
        }
        writer.push(&Note { id: "4", text: "d" }, 3);
        let batch = writer.finish().unwrap_or_else(|| panic!("a batch"));
        assert_eq!(body(&batch)["items"].as_array().map(Vec::len), Some(2));
        let ids: Vec<_> = batch
            .entries
            .iter()
            .map(|e| (e.position, e.id.as_str()))
            .collect();
        assert_eq!(ids, [(0, "1"), (3, "4")]);
    }

    /// A record whose `data` holds one number and one `null`.
    struct Reading(&'static str, f64);

    impl Vectorify for Reading {
        const SLUG: &'static str = "readings";

        fn collection() -> Collection {
            Collection::new("readings")
        }

        fn item_id(&self) -> Cow<'_, str> {
            Cow::Borrowed(self.0)
        }

        fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(2))?;
            map.serialize_entry("note", &None::<String>)?;
            map.serialize_entry("value", &self.1)?;
            map.end()
        }
    }

    #[test]
    fn non_finite_numbers_are_refused_by_item_and_path_and_nulls_pass() {
        let mut writer = BatchWriter::new::<Reading>(90, usize::MAX);
        assert!(matches!(writer.push(&Reading("a", 1.5), 0), Written::Added));
        for (position, value) in [(1, f64::NAN), (2, f64::INFINITY), (3, f64::NEG_INFINITY)] {
            match writer.push(&Reading("b", value), position) {
                Written::Rejected {
                    id,
                    error:
                        Error::NonFiniteNumber {
                            path, value: found, ..
                        },
                } => {
                    assert_eq!((id.as_str(), path.as_str()), ("b", "data.value"));
                    assert_eq!(found.to_bits(), value.to_bits());
                }
                _ => panic!("expected a non-finite number error for {value}"),
            }
        }
        writer.push(&Reading("c", -0.0), 4);
        let batch = writer.finish().unwrap_or_else(|| panic!("a batch"));
        assert_eq!(
            body(&batch)["items"],
            serde_json::json!([
                {"id": "a", "data": {"note": null, "value": 1.5}, "metadata": {}},
                {"id": "c", "data": {"note": null, "value": -0.0}, "metadata": {}}
            ])
        );
    }

    #[test]
    fn halves_keep_every_item_once() {
        let mut writer = BatchWriter::new::<Note>(90, usize::MAX);
        for (position, id) in ["1", "2", "3", "4", "5"].into_iter().enumerate() {
            writer.push(&Note { id, text: "x" }, position as u64);
        }
        let batch = writer.finish().unwrap_or_else(|| panic!("a batch"));
        let (first, second) = batch.halves(writer.prefix());
        assert_eq!(body(&first)["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(body(&second)["items"][2]["id"], "5");
        let kept = batch.select(writer.prefix(), &[0, 4]);
        assert_eq!(body(&kept)["items"][1]["id"], "5");
    }

    #[test]
    fn starts_a_new_batch_past_the_byte_limit() {
        let mut writer = BatchWriter::new::<Note>(90, 120);
        writer.push(&Note { id: "1", text: "a" }, 0);
        let first = full(writer.push(&Note { id: "2", text: "b" }, 1));
        assert_eq!(first.len(), 1);
        let second = writer.finish().unwrap_or_else(|| panic!("a batch"));
        assert_eq!(body(&second)["items"][0]["id"], "2");
    }
}
