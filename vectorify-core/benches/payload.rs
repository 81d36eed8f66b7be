//! Building upsert payloads: the JSON body of one 90-item batch,
//! `{"collection":{...},"items":[...]}`, written from the seed invoice of the
//! API reference, three ways, measured side by side in one run.
//!
//! - `derive`: `#[derive(Vectorify)]`, `to_item()` for each record and
//!   `serde_json::to_writer` of the body (the client writes the same bytes,
//!   item by item, into its body buffer).
//! - `floor`: hand-written wire structs with `#[derive(Serialize)]` that
//!   borrow the same records and write byte-identical JSON. Nothing can be
//!   much faster than serde's own derive writing borrowed fields, so this is
//!   the floor the derive is measured against.
//! - `dynamic`: a `serde_json::Value` tree built for each item, as a client
//!   that takes any JSON would have its callers do.
//!
//! Each iteration writes one whole batch into a buffer that is reused (as the
//! client reuses its body's allocation); the counters turn times into items
//! and bytes per second. The records and the collection are built once,
//! outside the measurement: the client also builds the collection once per
//! run.
//!
//! ```sh
//! cargo bench -p vectorify-core --bench payload
//! ```
//!
//! Instruction counts, which the machine's other work does not disturb:
//!
//! ```sh
//! PAYLOAD_PROFILE=derive valgrind --tool=callgrind \
//!     --toggle-collect='payload::write_derive' target/release/deps/payload-*
//! ```
//!
//! Before measuring, `main` checks that `derive` and `floor` write the same
//! bytes and that `dynamic` writes the same JSON (its keys come out sorted,
//! so it is compared parsed).

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use vectorify_core::{Collection, Vectorify};

mod seed;

use seed::{Invoice, Status};

/// Items in one batch: the most the API takes in one upsert.
const BATCH: usize = 90;

/// Batches written by one run of the profiling mode.
const PROFILE_BATCHES: usize = 1000;

fn main() {
    // `PAYLOAD_PROFILE=derive|floor|dynamic` writes `PROFILE_BATCHES` batches
    // one way and exits, for a profiler: instruction counts under callgrind
    // do not depend on what else the machine is running.
    if let Ok(way) = std::env::var("PAYLOAD_PROFILE") {
        profile(&way);
        return;
    }
    check_payloads_agree();
    divan::main();
}

fn profile(way: &str) {
    let invoices = invoices();
    let collection = Invoice::collection();
    let collection_value = collection_value();
    let mut buffer = Vec::with_capacity(64 * 1024);
    for _ in 0..PROFILE_BATCHES {
        buffer.clear();
        match way {
            "derive" => write_derive(&mut buffer, &collection, &invoices),
            "floor" => write_floor(&mut buffer, &invoices),
            "dynamic" => write_dynamic(&mut buffer, &collection_value, &invoices),
            other => panic!("PAYLOAD_PROFILE is derive, floor or dynamic, not {other:?}"),
        }
        divan::black_box(&buffer);
    }
}

/// A batch of the seed invoice, each with its own id and url (ids 123, 124,
/// ...), as a real batch has.
fn invoices() -> Vec<Invoice> {
    (123..123 + BATCH as u64).map(seed::invoice).collect()
}

// ---- derive: what the library writes ----

/// The body of one batch, from the derive's items.
#[derive(Serialize)]
struct DeriveBody<'a> {
    collection: &'a Collection,
    items: DeriveItems<'a>,
}

struct DeriveItems<'a>(&'a [Invoice]);

impl Serialize for DeriveItems<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Vectorify::to_item))
    }
}

#[inline(never)]
fn write_derive(buffer: &mut Vec<u8>, collection: &Collection, invoices: &[Invoice]) {
    let body = DeriveBody {
        collection,
        items: DeriveItems(invoices),
    };
    serde_json::to_writer(buffer, &body).expect("an invoice always serializes");
}

// ---- floor: hand-written serde structs of the same payload ----

#[derive(Serialize)]
struct FloorBody<'a> {
    collection: FloorCollection,
    items: FloorItems<'a>,
}

#[derive(Serialize)]
struct FloorCollection {
    slug: &'static str,
    metadata: FloorSchema,
}

#[derive(Serialize)]
struct FloorSchema {
    customer_name: FloorType,
    status: FloorType,
}

#[derive(Serialize)]
struct FloorType {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<&'static [&'static str]>,
}

/// The collection, written by hand.
fn floor_collection() -> FloorCollection {
    FloorCollection {
        slug: "invoices",
        metadata: FloorSchema {
            customer_name: FloorType {
                kind: "string",
                options: None,
            },
            status: FloorType {
                kind: "enum",
                options: Some(&["draft", "sent", "paid"]),
            },
        },
    }
}

struct FloorItems<'a>(&'a [Invoice]);

impl Serialize for FloorItems<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(FloorItem::new))
    }
}

#[derive(Serialize)]
struct FloorItem<'a> {
    #[serde(serialize_with = "id_as_text")]
    id: u64,
    data: FloorData<'a>,
    metadata: FloorMetadata<'a>,
    tenant: u64,
    url: &'a str,
}

#[derive(Serialize)]
struct FloorData<'a> {
    customer_name: &'a str,
    status: Status,
    amount: &'a str,
    currency: &'a str,
    due_date: &'a str,
}

#[derive(Serialize)]
struct FloorMetadata<'a> {
    customer_name: &'a str,
    status: Status,
}

impl<'a> FloorItem<'a> {
    fn new(invoice: &'a Invoice) -> Self {
        FloorItem {
            id: invoice.id,
            data: FloorData {
                customer_name: &invoice.customer_name,
                status: invoice.status,
                amount: &invoice.amount,
                currency: &invoice.currency,
                due_date: &invoice.due_date,
            },
            metadata: FloorMetadata {
                customer_name: &invoice.customer_name,
                status: invoice.status,
            },
            tenant: invoice.tenant,
            url: &invoice.url,
        }
    }
}

/// The id as JSON text, formatted on the stack: the API takes ids as strings.
fn id_as_text<S: Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(itoa::Buffer::new().format(*id))
}

#[inline(never)]
fn write_floor(buffer: &mut Vec<u8>, invoices: &[Invoice]) {
    let body = FloorBody {
        collection: floor_collection(),
        items: FloorItems(invoices),
    };
    serde_json::to_writer(buffer, &body).expect("an invoice always serializes");
}

// ---- dynamic: a serde_json::Value tree per item ----

/// What a generic client's caller writes: one JSON object per record.
fn invoice_value(invoice: &Invoice) -> Value {
    let status = serde_json::to_value(invoice.status).expect("a status always serializes");

    let mut data = Map::new();
    data.insert(
        "customer_name".into(),
        Value::String(invoice.customer_name.clone()),
    );
    data.insert("status".into(), status.clone());
    data.insert("amount".into(), Value::String(invoice.amount.clone()));
    data.insert("currency".into(), Value::String(invoice.currency.clone()));
    data.insert("due_date".into(), Value::String(invoice.due_date.clone()));

    let mut metadata = Map::new();
    metadata.insert(
        "customer_name".into(),
        Value::String(invoice.customer_name.clone()),
    );
    metadata.insert("status".into(), status);

    let mut item = Map::new();
    item.insert("id".into(), Value::String(invoice.id.to_string()));
    item.insert("data".into(), Value::Object(data));
    item.insert("metadata".into(), Value::Object(metadata));
    item.insert("tenant".into(), Value::from(invoice.tenant));
    item.insert("url".into(), Value::String(invoice.url.clone()));
    Value::Object(item)
}

#[derive(Serialize)]
struct DynamicBody<'a> {
    collection: &'a Value,
    items: Vec<Value>,
}

#[inline(never)]
fn write_dynamic(buffer: &mut Vec<u8>, collection: &Value, invoices: &[Invoice]) {
    let body = DynamicBody {
        collection,
        items: invoices.iter().map(invoice_value).collect(),
    };
    serde_json::to_writer(buffer, &body).expect("a JSON value always serializes");
}

fn collection_value() -> Value {
    serde_json::to_value(Invoice::collection()).expect("a collection always serializes")
}

// ---- the check and the measurements ----

fn check_payloads_agree() {
    let invoices = invoices();
    let (mut derive, mut floor, mut dynamic) = (Vec::new(), Vec::new(), Vec::new());
    write_derive(&mut derive, &Invoice::collection(), &invoices);
    write_floor(&mut floor, &invoices);
    write_dynamic(&mut dynamic, &collection_value(), &invoices);

    assert!(
        derive == floor,
        "derive and floor wrote different bodies:\n{}\n{}",
        String::from_utf8_lossy(&derive),
        String::from_utf8_lossy(&floor),
    );
    let parsed = |body: &[u8]| serde_json::from_slice::<Value>(body).expect("valid JSON");
    assert_eq!(
        parsed(&derive),
        parsed(&dynamic),
        "dynamic wrote other JSON"
    );
    assert!(derive.starts_with(
        br#"{"collection":{"slug":"invoices","metadata":{"customer_name":{"type":"string"},"status":{"type":"enum","options":["draft","sent","paid"]}}},"items":[{"id":"123","data":{"customer_name":"John Doe","status":"draft","amount":"100","currency":"USD","due_date":"2023-10-01"},"metadata":{"customer_name":"John Doe","status":"draft"},"tenant":987,"url":"https://app.example.com/invoices/123"},"#
    ));
}

/// The size of one batch's body, for the bytes counter.
fn body_len(invoices: &[Invoice]) -> usize {
    let mut buffer = Vec::new();
    write_floor(&mut buffer, invoices);
    buffer.len()
}

/// One 90-item batch body per iteration, written by the derive's items.
#[divan::bench(sample_count = 1000, sample_size = 10)]
fn derive(bencher: Bencher) {
    let collection = Invoice::collection();
    bench_body(bencher, |buffer, invoices| {
        write_derive(buffer, &collection, invoices);
    });
}

/// The same body from hand-written `#[derive(Serialize)]` structs.
#[divan::bench(sample_count = 1000, sample_size = 10)]
fn floor(bencher: Bencher) {
    bench_body(bencher, write_floor);
}

/// The same payload through a `serde_json::Value` tree per item.
#[divan::bench(sample_count = 1000, sample_size = 10)]
fn dynamic(bencher: Bencher) {
    let collection = collection_value();
    bench_body(bencher, |buffer, invoices| {
        write_dynamic(buffer, &collection, invoices);
    });
}

/// Writes the batch's body with `write` per iteration, into a reused buffer,
/// counting items and bytes.
fn bench_body(bencher: Bencher, mut write: impl FnMut(&mut Vec<u8>, &[Invoice])) {
    let invoices = invoices();
    let mut buffer = Vec::with_capacity(64 * 1024);
    bencher
        .counter(ItemsCount::new(BATCH))
        .counter(BytesCount::new(body_len(&invoices)))
        .bench_local(|| {
            buffer.clear();
            write(&mut buffer, divan::black_box(&invoices));
            divan::black_box(&buffer);
        });
}
