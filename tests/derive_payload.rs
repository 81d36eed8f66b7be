//! What `#[derive(Vectorify)]` sends: collection schemas and items, compared
//! with the exact JSON the API receives.

// Fixtures declare variants and fields that only the derive reads.
#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use vectorify_core::{Collection, MetadataType, MetadataValue, Vectorify};

#[derive(Clone, Copy, Serialize, Vectorify)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Sent,
    Paid,
}

#[derive(Vectorify)]
#[vectorify(collection = "invoices")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    #[vectorify(metadata)]
    status: Status,
    amount: String,
    currency: String,
    due_date: String,
    #[vectorify(tenant)]
    tenant: u64,
    #[vectorify(url)]
    url: String,
}

fn seed_invoice() -> Invoice {
    Invoice {
        id: 123,
        customer_name: "John Doe".into(),
        status: Status::Draft,
        amount: "100".into(),
        currency: "USD".into(),
        due_date: "2023-10-01".into(),
        tenant: 987,
        url: "https://app.example.com/invoices/123".into(),
    }
}

fn to_json<T: Vectorify>(record: &T) -> Value {
    serde_json::to_value(record.to_item()).unwrap()
}

#[test]
fn seed_collection_is_sent_byte_for_byte() {
    assert_eq!(
        serde_json::to_string(&Invoice::collection()).unwrap(),
        r#"{"slug":"invoices","metadata":{"customer_name":{"type":"string"},"status":{"type":"enum","options":["draft","sent","paid"]}}}"#
    );
    assert_eq!(Invoice::SLUG, "invoices");
}

#[test]
fn seed_item_is_sent_byte_for_byte() {
    assert_eq!(
        serde_json::to_string(&seed_invoice().to_item()).unwrap(),
        r#"{"id":"123","data":{"customer_name":"John Doe","status":"draft","amount":"100","currency":"USD","due_date":"2023-10-01"},"metadata":{"customer_name":"John Doe","status":"draft"},"tenant":987,"url":"https://app.example.com/invoices/123"}"#
    );
}

#[test]
fn item_exposes_its_keys() {
    let invoice = seed_invoice();
    let item = invoice.to_item();
    assert_eq!(item.id(), "123");
    assert_eq!(item.tenant().map(|tenant| tenant.get()), Some(987));
    assert_eq!(item.url(), Some("https://app.example.com/invoices/123"));
    assert!(format!("{item:?}").contains("\"123\""));
}

#[derive(Vectorify)]
struct LineItem {
    #[vectorify(id)]
    id: String,
    description: String,
}

#[test]
fn default_slug_is_the_kebab_cased_type_name() {
    assert_eq!(LineItem::SLUG, "line-item");
    assert_eq!(LineItem::collection(), Collection::new("line-item"));
    let line = LineItem {
        id: "li-1".into(),
        description: "Consulting".into(),
    };
    assert_eq!(
        to_json(&line),
        json!({"id": "li-1", "data": {"description": "Consulting"}, "metadata": {}})
    );
}

#[derive(Serialize, Vectorify)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    #[vectorify(id)]
    id: u32,
    #[vectorify(metadata)]
    customer_name: String,
    #[serde(rename = "total")]
    amount_due: String,
    #[vectorify(rename = "memo", metadata)]
    internal_note: String,
    due_date: String,
}

#[test]
fn keys_follow_serde_renames_and_vectorify_rename() {
    let record = Renamed {
        id: 1,
        customer_name: "Ada".into(),
        amount_due: "10".into(),
        internal_note: "n".into(),
        due_date: "2024-01-01".into(),
    };
    assert_eq!(
        to_json(&record),
        json!({
            "id": "1",
            "data": {"customerName": "Ada", "total": "10", "memo": "n", "dueDate": "2024-01-01"},
            "metadata": {"customerName": "Ada", "memo": "n"},
        })
    );
    assert_eq!(
        Renamed::collection(),
        Collection::new("renamed")
            .with_metadata("customerName", MetadataType::String)
            .with_metadata("memo", MetadataType::String)
    );
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

#[derive(Serialize, Vectorify)]
struct Skips {
    #[vectorify(id)]
    id: u32,
    #[vectorify(skip)]
    password_hash: String,
    #[serde(skip)]
    cache: Vec<u8>,
    #[serde(skip_serializing)]
    secret: String,
    #[serde(skip_serializing_if = "is_zero")]
    retries: u32,
    kept: bool,
}

#[test]
fn skipped_fields_stay_out_of_data() {
    let mut record = Skips {
        id: 5,
        password_hash: "x".into(),
        cache: vec![1],
        secret: "s".into(),
        retries: 0,
        kept: true,
    };
    assert_eq!(to_json(&record)["data"], json!({"kept": true}));
    record.retries = 2;
    assert_eq!(
        to_json(&record)["data"],
        json!({"retries": 2, "kept": true})
    );
}

#[derive(Vectorify)]
struct RawNames {
    #[vectorify(id)]
    r#ref: String,
    #[vectorify(metadata)]
    r#type: String,
    r#match: u8,
}

#[test]
fn raw_identifiers_lose_their_prefix() {
    let record = RawNames {
        r#ref: "r1".into(),
        r#type: "refund".into(),
        r#match: 3,
    };
    assert_eq!(
        to_json(&record),
        json!({"id": "r1", "data": {"type": "refund", "match": 3}, "metadata": {"type": "refund"}})
    );
}

#[derive(Vectorify)]
#[vectorify(collection = "events")]
struct Event<'a, P> {
    #[vectorify(id)]
    id: &'a str,
    #[vectorify(metadata)]
    kind: Cow<'a, str>,
    payload: P,
}

#[test]
fn generic_structs_and_lifetimes_work() {
    let event = Event {
        id: "e1",
        kind: Cow::Borrowed("signup"),
        payload: vec![1, 2, 3],
    };
    assert_eq!(
        to_json(&event),
        json!({"id": "e1", "data": {"kind": "signup", "payload": [1, 2, 3]}, "metadata": {"kind": "signup"}})
    );
    assert_eq!(Event::<'static, ()>::SLUG, "events");
}

#[derive(Clone, Copy, Serialize, Vectorify)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Priority {
    Low,
    #[serde(rename = "urgent!")]
    VeryHigh,
    #[vectorify(rename = "on-hold")]
    OnHold,
}

#[derive(Vectorify)]
struct Ticket {
    #[vectorify(id)]
    id: i64,
    #[vectorify(metadata)]
    assignee: Option<String>,
    #[vectorify(metadata)]
    priority: Option<Priority>,
    note: Option<String>,
    #[vectorify(tenant)]
    tenant: Option<u32>,
    #[vectorify(url)]
    url: Option<String>,
}

#[test]
fn none_values_are_left_out_everywhere() {
    let ticket = Ticket {
        id: -4,
        assignee: None,
        priority: None,
        note: None,
        tenant: None,
        url: None,
    };
    assert_eq!(
        to_json(&ticket),
        json!({"id": "-4", "data": {}, "metadata": {}})
    );
}

#[test]
fn some_values_are_sent() {
    let ticket = Ticket {
        id: 4,
        assignee: Some("grace".into()),
        priority: Some(Priority::VeryHigh),
        note: Some("call".into()),
        tenant: Some(12),
        url: Some("https://x.test/t/4".into()),
    };
    assert_eq!(
        to_json(&ticket),
        json!({
            "id": "4",
            "data": {"assignee": "grace", "priority": "urgent!", "note": "call"},
            "metadata": {"assignee": "grace", "priority": "urgent!"},
            "tenant": 12,
            "url": "https://x.test/t/4",
        })
    );
}

#[test]
fn enum_options_are_the_serde_names_of_the_variants() {
    assert_eq!(
        Priority::metadata_type(),
        MetadataType::enumeration(["LOW", "urgent!", "on-hold"])
    );
    assert_eq!(
        Ticket::collection(),
        Collection::new("ticket")
            .with_metadata("assignee", MetadataType::String)
            .with_metadata(
                "priority",
                MetadataType::enumeration(["LOW", "urgent!", "on-hold"])
            )
    );
    // The metadata value of each variant is its option, and data agrees
    // wherever serde and the derive read the same attributes.
    assert_eq!(serde_json::to_value(Priority::Low).unwrap(), json!("LOW"));
    assert_eq!(
        serde_json::to_value(Priority::VeryHigh).unwrap(),
        json!("urgent!")
    );
}

#[derive(Vectorify)]
#[vectorify(
    collection = "invoices",
    url = "https://app.example.com/t/{tenant}/invoices/{id}?q={{x}}"
)]
struct Templated {
    #[vectorify(id)]
    id: u64,
    #[vectorify(tenant)]
    tenant: u16,
}

#[test]
fn url_template_is_filled_from_the_fields() {
    let record = Templated { id: 9, tenant: 3 };
    assert_eq!(
        record.to_item().url(),
        Some("https://app.example.com/t/3/invoices/9?q={x}")
    );
    assert_eq!(
        to_json(&record)["url"],
        json!("https://app.example.com/t/3/invoices/9?q={x}")
    );
}

#[derive(Vectorify)]
struct MetadataOnly {
    #[vectorify(id)]
    id: Box<str>,
    #[vectorify(metadata, data = false)]
    region: Arc<str>,
    body: String,
}

#[test]
fn metadata_can_stay_out_of_data() {
    let record = MetadataOnly {
        id: "m1".into(),
        region: "eu".into(),
        body: "hello".into(),
    };
    assert_eq!(
        to_json(&record),
        json!({"id": "m1", "data": {"body": "hello"}, "metadata": {"region": "eu"}})
    );
}

mod cents {
    pub fn serialize<S: serde::Serializer>(cents: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}.{:02}", cents / 100, cents % 100))
    }
}

fn upper<S: serde::Serializer>(text: &Option<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match text {
        Some(text) => serializer.serialize_str(&text.to_uppercase()),
        None => serializer.serialize_none(),
    }
}

#[derive(Serialize, Vectorify)]
struct Priced {
    #[vectorify(id)]
    #[serde(skip)]
    id: u8,
    #[serde(with = "cents")]
    amount: u64,
    #[serde(serialize_with = "upper")]
    code: Option<String>,
}

#[test]
fn serialize_with_and_with_are_honoured() {
    let mut record = Priced {
        id: 1,
        amount: 12345,
        code: Some("eur".into()),
    };
    assert_eq!(
        to_json(&record)["data"],
        json!({"amount": "123.45", "code": "EUR"})
    );
    assert_eq!(
        to_json(&record)["data"],
        serde_json::to_value(&record).unwrap()
    );
    record.code = None;
    assert_eq!(to_json(&record)["data"], json!({"amount": "123.45"}));
}

mod reexport {
    pub use vectorify_core;
}

#[derive(reexport::vectorify_core::Vectorify)]
#[vectorify(crate = "reexport::vectorify_core")]
struct ThroughReexport {
    #[vectorify(id)]
    id: u8,
}

#[test]
fn crate_path_can_be_a_reexport() {
    assert_eq!(
        to_json(&ThroughReexport { id: 2 }),
        json!({"id": "2", "data": {}, "metadata": {}})
    );
}

struct CountryCode(&'static str);

impl MetadataValue for CountryCode {
    fn metadata_type() -> MetadataType {
        MetadataType::enumeration(["DE", "FR"])
    }

    fn serialize_value<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

#[derive(Vectorify)]
struct Shipment {
    #[vectorify(id)]
    id: u32,
    #[vectorify(metadata, data = false)]
    country: CountryCode,
}

#[test]
fn users_can_add_their_own_metadata_types() {
    let record = Shipment {
        id: 1,
        country: CountryCode("DE"),
    };
    assert_eq!(to_json(&record)["metadata"], json!({"country": "DE"}));
    assert_eq!(
        Shipment::collection().metadata_type("country"),
        Some(&MetadataType::enumeration(["DE", "FR"]))
    );
}

#[derive(Serialize, Vectorify)]
struct Mirror {
    #[vectorify(id)]
    #[serde(skip)]
    id: u64,
    title: String,
    tags: Vec<String>,
    score: f64,
    nested: std::collections::BTreeMap<String, u32>,
    flag: bool,
}

#[test]
fn data_is_what_serde_writes_for_the_same_fields() {
    let record = Mirror {
        id: 1,
        title: "Quarterly \"report\"\n".into(),
        tags: vec!["a".into(), "ü".into()],
        score: 0.25,
        nested: [("k".to_owned(), 1)].into(),
        flag: false,
    };
    assert_eq!(
        serde_json::to_string(&Data(&record)).unwrap(),
        serde_json::to_string(&record).unwrap()
    );
}

/// `data` alone, through the trait.
struct Data<'a, T>(&'a T);

impl<T: Vectorify> Serialize for Data<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}

#[derive(Vectorify)]
struct IdTypes<'a> {
    #[vectorify(id)]
    id: Cow<'a, str>,
}

#[test]
fn every_id_type_is_sent_as_text() {
    assert_eq!(
        IdTypes {
            id: Cow::Borrowed("x-1")
        }
        .to_item()
        .id(),
        "x-1"
    );
    assert_eq!(
        to_json(&LineItem {
            id: String::from("s"),
            description: String::new()
        })["id"],
        json!("s")
    );
    assert_eq!(
        to_json(&Ticket {
            id: i64::MIN,
            assignee: None,
            priority: None,
            note: None,
            tenant: None,
            url: None
        })["id"],
        json!("-9223372036854775808")
    );
}

mod visibility {
    use vectorify_core::Vectorify;

    #[derive(Clone, Copy, serde::Serialize, Vectorify)]
    enum Internal {
        A,
    }

    /// A public type whose fields have private types: the generated impl
    /// must not leak them into a public interface.
    #[derive(Vectorify)]
    pub struct Public {
        #[vectorify(id)]
        pub id: u8,
        #[vectorify(metadata)]
        internal: Internal,
    }

    pub fn make() -> Public {
        Public {
            id: 1,
            internal: Internal::A,
        }
    }
}

#[test]
fn private_field_types_work_in_public_structs() {
    assert_eq!(
        to_json(&visibility::make())["metadata"],
        json!({"internal": "A"})
    );
}

/// More fields than one tuple of fields holds (12), in `data` and in
/// `metadata`, some of them left out.
#[derive(Serialize, Vectorify)]
struct Wide {
    #[vectorify(id)]
    #[serde(skip)]
    id: u32,
    #[vectorify(metadata)]
    f01: String,
    #[vectorify(metadata)]
    f02: String,
    #[vectorify(metadata)]
    f03: String,
    #[vectorify(metadata)]
    f04: String,
    #[vectorify(metadata)]
    f05: String,
    #[vectorify(metadata)]
    f06: String,
    // The derive leaves a `None` out of `data`; serde, told so, does too.
    #[vectorify(metadata)]
    #[serde(skip_serializing_if = "Option::is_none")]
    f07: Option<String>,
    #[vectorify(metadata)]
    f08: String,
    #[vectorify(metadata)]
    f09: String,
    #[vectorify(metadata)]
    f10: String,
    #[vectorify(metadata)]
    f11: String,
    #[vectorify(metadata)]
    f12: String,
    #[vectorify(metadata)]
    f13: String,
    #[vectorify(metadata)]
    f14: Status,
    f15: u8,
    f16: u16,
    f17: u32,
    f18: u64,
    f19: u128,
    f20: i8,
    f21: i16,
    f22: i32,
    f23: i64,
    f24: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    f25: Option<String>,
    f26: f32,
    f27: f64,
    f28: char,
    f29: Vec<u8>,
    #[serde(skip_serializing_if = "String::is_empty")]
    f30: String,
}

#[test]
fn structs_wider_than_one_tuple_of_fields_are_written_whole() {
    let text = |n: u32| format!("text {n}");
    let wide = Wide {
        id: 1,
        f01: text(1),
        f02: text(2),
        f03: text(3),
        f04: text(4),
        f05: text(5),
        f06: text(6),
        f07: None,
        f08: text(8),
        f09: text(9),
        f10: text(10),
        f11: text(11),
        f12: text(12),
        f13: text(13),
        f14: Status::Paid,
        f15: 15,
        f16: 16,
        f17: 17,
        f18: 18,
        f19: 19,
        f20: -20,
        f21: -21,
        f22: -22,
        f23: -23,
        f24: true,
        f25: None,
        f26: 0.5,
        f27: 0.25,
        f28: 'x',
        f29: vec![2, 9],
        f30: String::new(),
    };
    assert_eq!(
        serde_json::to_string(&Data(&wide)).unwrap(),
        serde_json::to_string(&wide).unwrap()
    );

    let item = to_json(&wide);
    let metadata = item["metadata"].as_object().unwrap();
    let mut expected: Vec<String> = (1..=14)
        .filter(|n| *n != 7)
        .map(|n| format!("f{n:02}"))
        .collect();
    expected.sort();
    assert_eq!(metadata.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(metadata["f13"], "text 13");
    assert_eq!(metadata["f14"], "paid");

    let schema = serde_json::to_value(Wide::collection()).unwrap();
    assert_eq!(schema["metadata"].as_object().unwrap().len(), 14);
}
