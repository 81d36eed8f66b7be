//! For any field values, the `data` that `#[derive(Vectorify)]` writes is
//! what serde writes for the same fields: the same keys, in the same order,
//! byte for byte, whatever the strings, numbers and nesting hold. (Fixed
//! values are pinned in `derive_payload.rs`.)
//!
//! 256 cases per property unless `PROPTEST_CASES` sets another number.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::{Serialize, Serializer};
use vectorify_core::Vectorify;

#[derive(Clone, Copy, Debug, Serialize, Vectorify)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Priority {
    Low,
    High,
    VeryHigh,
}

#[derive(Clone, Debug, Serialize)]
enum Shape {
    Circle { radius: f64 },
    Square(f32),
    Pair(i8, String),
    Empty,
}

#[derive(Clone, Debug, Serialize)]
struct Address {
    street: String,
    zip: Option<u32>,
}

fn is_false(value: &bool) -> bool {
    !*value
}

mod cents {
    pub fn serialize<S: serde::Serializer>(cents: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("{}.{:02}", cents / 100, cents % 100))
    }
}

fn shout<S: Serializer>(text: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&text.to_uppercase())
}

/// Fields of every kind, with the serde attributes the derive honours. The
/// id, tenant and url stay out of `data`, so serde skips them too.
#[derive(Clone, Debug, Serialize, Vectorify)]
#[vectorify(collection = "records")]
#[serde(rename_all = "camelCase")]
struct Record {
    #[vectorify(id)]
    #[serde(skip)]
    id: u64,
    #[vectorify(tenant)]
    #[serde(skip)]
    tenant: Option<i64>,
    #[vectorify(url)]
    #[serde(skip)]
    link: Option<String>,
    title: String,
    #[vectorify(metadata)]
    owner_name: String,
    #[vectorify(metadata)]
    priority: Priority,
    #[serde(rename = "n")]
    count: i64,
    big: u128,
    ratio: f64,
    small: f32,
    flag: bool,
    letter: char,
    tags: Vec<String>,
    scores: BTreeMap<String, i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nested_option: Option<Option<u8>>,
    address: Address,
    shape: Shape,
    pair: (u8, String),
    #[serde(skip_serializing_if = "is_false")]
    archived: bool,
    #[serde(with = "cents")]
    amount: u64,
    #[serde(serialize_with = "shout")]
    code: String,
    #[serde(skip)]
    #[allow(dead_code)]
    cache: Vec<u8>,
    bytes: Vec<u8>,
}

/// A record whose `Option` fields have no serde attribute: the derive leaves
/// a `None` out of `data`, where serde writes `null`.
#[derive(Clone, Debug, Serialize, Vectorify)]
#[vectorify(collection = "sparse")]
struct Sparse {
    #[vectorify(id)]
    #[serde(skip)]
    id: String,
    first: Option<String>,
    second: Option<f64>,
    third: Option<Vec<Option<i32>>>,
    kept: u16,
}

/// `data` alone, as the item writes it.
struct Data<'a, T>(&'a T);

impl<T: Vectorify> Serialize for Data<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_data(serializer)
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        any::<f64>().prop_map(|radius| Shape::Circle { radius }),
        any::<f32>().prop_map(Shape::Square),
        (any::<i8>(), any::<String>()).prop_map(|(a, b)| Shape::Pair(a, b)),
        Just(Shape::Empty),
    ]
}

fn priority() -> impl Strategy<Value = Priority> {
    prop::sample::select(vec![Priority::Low, Priority::High, Priority::VeryHigh])
}

fn record() -> impl Strategy<Value = Record> {
    let keys = (
        any::<u64>(),
        any::<Option<i64>>(),
        any::<Option<String>>(),
        any::<String>(),
        any::<String>(),
        priority(),
    );
    let scalars = (
        any::<i64>(),
        any::<u128>(),
        any::<f64>(),
        any::<f32>(),
        any::<bool>(),
        any::<char>(),
    );
    let collections = (
        prop::collection::vec(any::<String>(), 0..4),
        prop::collection::btree_map(any::<String>(), any::<i32>(), 0..4),
        any::<Option<String>>(),
        any::<Option<Option<u8>>>(),
        (any::<String>(), any::<Option<u32>>()),
        shape(),
    );
    let rest = (
        (any::<u8>(), any::<String>()),
        any::<bool>(),
        any::<u64>(),
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..8),
    );
    (keys, scalars, collections, rest).prop_map(
        |(
            (id, tenant, link, title, owner_name, priority),
            (count, big, ratio, small, flag, letter),
            (tags, scores, note, nested_option, (street, zip), shape),
            (pair, archived, amount, code, bytes),
        )| Record {
            id,
            tenant,
            link,
            title,
            owner_name,
            priority,
            count,
            big,
            ratio,
            small,
            flag,
            letter,
            tags,
            scores,
            note,
            nested_option,
            address: Address { street, zip },
            shape,
            pair,
            archived,
            amount,
            code,
            cache: bytes.clone(),
            bytes,
        },
    )
}

fn sparse() -> impl Strategy<Value = Sparse> {
    (
        "[a-z0-9]{1,8}",
        any::<Option<String>>(),
        any::<Option<f64>>(),
        prop::option::of(prop::collection::vec(any::<Option<i32>>(), 0..3)),
        any::<u16>(),
    )
        .prop_map(|(id, first, second, third, kept)| Sparse {
            id,
            first,
            second,
            third,
            kept,
        })
}

fn config() -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    config
}

fn run<S: Strategy>(strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    if let Err(error) = TestRunner::new(config()).run(&strategy, property) {
        panic!("{error}");
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> Result<String, TestCaseError> {
    serde_json::to_string(value).map_err(|error| TestCaseError::fail(error.to_string()))
}

#[test]
fn data_is_byte_for_byte_what_serde_writes_for_the_same_fields() {
    run(record(), |record| {
        let serde = json(&record)?;
        prop_assert_eq!(json(&Data(&record))?, serde.clone());

        // And so in the whole item, beside the id, metadata, tenant and url.
        let item: serde_json::Value = serde_json::from_str(&json(&record.to_item())?)
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let serde: serde_json::Value =
            serde_json::from_str(&serde).map_err(|error| TestCaseError::fail(error.to_string()))?;
        prop_assert_eq!(&item["data"], &serde);
        prop_assert_eq!(&item["id"], &serde_json::json!(record.id.to_string()));
        prop_assert_eq!(
            item["metadata"]["ownerName"].as_str(),
            Some(record.owner_name.as_str())
        );
        prop_assert_eq!(item.get("tenant").and_then(|t| t.as_i64()), record.tenant);
        prop_assert_eq!(
            item.get("url").and_then(|u| u.as_str()),
            record.link.as_deref()
        );
        Ok(())
    });
}

/// What serde writes for `Sparse` when told to leave out a `None`.
#[derive(Serialize)]
struct SparseWithoutNones {
    #[serde(skip_serializing_if = "Option::is_none")]
    first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    second: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    third: Option<Vec<Option<i32>>>,
    kept: u16,
}

#[test]
fn data_is_what_serde_writes_less_the_none_options() {
    run(sparse(), |record| {
        let expected = SparseWithoutNones {
            first: record.first.clone(),
            second: record.second,
            third: record.third.clone(),
            kept: record.kept,
        };
        prop_assert_eq!(json(&Data(&record))?, json(&expected)?);
        Ok(())
    });
}
