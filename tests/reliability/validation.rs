//! A property of the emulator's checking of upsert bodies, over HTTP: for
//! any body of generated items, each field valid or broken in one of the ways
//! the API's rules name, the emulator answers 201 exactly when every rule
//! holds and stores each item as sent (the last of a repeated id winning),
//! and otherwise answers 422 naming exactly the broken fields and stores
//! nothing.
//!
//! Bodies that are not upserts at all (random bytes, cut JSON, odd values at
//! any path, on every route) are pinned by
//! `vectorify-emulator/tests/emulator/robustness.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};
use vectorify_emulator::Emulator;

use crate::responses::{check, runtime};
use crate::support::{self, KEY};

/// A part of an item, and whether the rules accept it.
#[derive(Clone, Debug)]
struct Part {
    value: Option<Value>,
    valid: bool,
}

fn part(value: Option<Value>, valid: bool) -> Part {
    Part { value, valid }
}

fn parts(options: Vec<(Option<Value>, bool)>) -> impl Strategy<Value = Part> {
    prop::sample::select(options).prop_map(|(value, valid)| part(value, valid))
}

fn id() -> impl Strategy<Value = Part> {
    prop_oneof![
        4 => prop::sample::select(vec!["a", "b", "c", "12", " padded "])
            .prop_map(|id| part(Some(json!(id)), true)),
        1 => (0i64..3).prop_map(|id| part(Some(json!(id)), true)),
        2 => parts(vec![
            (None, false),
            (Some(Value::Null), false),
            (Some(json!("")), false),
            (Some(json!("   ")), false),
            (Some(json!([])), false),
            (Some(json!(["a"])), false),
            (Some(json!(1.5)), false),
            (Some(json!(true)), false),
            (Some(json!({})), false),
        ]),
    ]
}

fn data() -> impl Strategy<Value = Part> {
    prop_oneof![
        4 => ("[ -~]{0,12}", any::<i64>()).prop_map(|(text, number)| {
            part(Some(json!({"text": text, "number": number, "list": [1, null]})), true)
        }),
        1 => Just(part(Some(json!({})), true)),
        2 => parts(vec![
            (None, false),
            (Some(Value::Null), false),
            (Some(json!("text")), false),
            (Some(json!([1])), false),
            (Some(json!(5)), false),
        ]),
    ]
}

/// One metadata entry: its key, its value, whether the schema accepts it.
fn metadata_entry() -> impl Strategy<Value = (String, Value, bool)> {
    let entries: Vec<(&str, Value, bool)> = vec![
        ("status", json!("draft"), true),
        ("status", json!("paid"), true),
        ("status", Value::Null, true),
        ("status", json!("DRAFT"), false),
        ("status", json!(3), false),
        ("due", json!("2024-01-31"), true),
        ("due", json!("2023-10-01T12:00:00Z"), true),
        ("due", json!("2024-02-29"), true),
        ("due", Value::Null, true),
        ("due", json!("soon"), false),
        ("due", json!("2023-02-29"), false),
        ("due", json!(""), false),
        ("due", json!(20240131), false),
        ("name", json!("any text ✓"), true),
        ("name", json!(""), true),
        ("name", json!(5), false),
        ("name", json!(["x"]), false),
        ("undeclared", json!("x"), false),
    ];
    prop::sample::select(entries).prop_map(|(key, value, valid)| (key.to_owned(), value, valid))
}

fn metadata() -> impl Strategy<Value = (Part, Vec<String>)> {
    prop_oneof![
        3 => prop::collection::vec(metadata_entry(), 0..4).prop_map(|entries| {
            // Later entries replace earlier ones of the same key, as in JSON.
            let mut map = Map::new();
            let mut valid = BTreeMap::new();
            for (key, value, ok) in entries {
                valid.insert(key.clone(), ok);
                map.insert(key, value);
            }
            let broken = valid
                .into_iter()
                .filter(|(_, ok)| !ok)
                .map(|(key, _)| format!("metadata.{key}"))
                .collect();
            (part(Some(Value::Object(map)), true), broken)
        }),
        1 => prop::sample::select(vec![None, Some(Value::Null)])
            .prop_map(|value| (part(value, true), Vec::new())),
        1 => prop::sample::select(vec![json!("x"), json!([]), json!(3)])
            .prop_map(|value| (part(Some(value), false), vec!["metadata".to_owned()])),
    ]
}

fn tenant() -> impl Strategy<Value = Part> {
    prop_oneof![
        3 => prop::sample::select(vec![None, Some(Value::Null)]).prop_map(|value| part(value, true)),
        3 => prop::sample::select(vec![1i64, 2, -7, i64::MIN, i64::MAX])
            .prop_map(|tenant| part(Some(json!(tenant)), true)),
        2 => parts(vec![
            (Some(json!("5")), false),
            (Some(json!(1.5)), false),
            (Some(json!(u64::MAX)), false),
            (Some(json!(true)), false),
        ]),
    ]
}

fn url() -> impl Strategy<Value = Part> {
    prop_oneof![
        3 => prop::sample::select(vec![
            None,
            Some(Value::Null),
            Some(json!("https://app.example.com/x")),
            Some(json!("")),
        ])
        .prop_map(|value| part(value, true)),
        1 => parts(vec![(Some(json!(5)), false), (Some(json!({})), false)]),
    ]
}

/// One generated item: its JSON and the fields the rules should name.
#[derive(Clone, Debug)]
struct Generated {
    json: Value,
    broken: Vec<String>,
}

fn item() -> impl Strategy<Value = Generated> {
    let object = (id(), data(), metadata(), tenant(), url()).prop_map(
        |(id, data, (metadata, metadata_broken), tenant, url)| {
            let mut json = Map::new();
            let mut broken = metadata_broken;
            for (name, part) in [
                ("id", id),
                ("data", data),
                ("metadata", metadata),
                ("tenant", tenant),
                ("url", url),
            ] {
                if let Some(value) = part.value {
                    json.insert(name.to_owned(), value);
                }
                if !part.valid {
                    broken.push(name.to_owned());
                }
            }
            Generated {
                json: Value::Object(json),
                broken,
            }
        },
    );
    prop_oneof![
        12 => object,
        1 => prop::sample::select(vec![json!(5), json!("item"), Value::Null, json!([])])
            .prop_map(|json| Generated { json, broken: vec![String::new()] }),
    ]
}

fn items() -> impl Strategy<Value = Vec<Generated>> {
    prop_oneof![
        8 => prop::collection::vec(item(), 1..8),
        1 => Just(Vec::new()),
        1 => prop::collection::vec(item(), 88..93),
    ]
}

/// The keys a 422 should carry for these items.
fn expected_errors(items: &[Generated]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    if items.is_empty() || items.len() > 90 {
        keys.insert("items".to_owned());
    }
    for (index, item) in items.iter().enumerate() {
        for field in &item.broken {
            keys.insert(if field.is_empty() {
                format!("items.{index}")
            } else {
                format!("items.{index}.{field}")
            });
        }
    }
    keys
}

static COLLECTIONS: AtomicU64 = AtomicU64::new(0);

async fn post(emulator: &Emulator, body: &Value) -> (u16, Value) {
    let http = support::ok(reqwest::Client::builder().no_proxy().build());
    let response = http
        .post(format!("{}upserts", emulator.base_url()))
        .header("api-key", KEY)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let response = support::ok(response);
    let status = response.status().as_u16();
    let body = support::ok(response.bytes().await);
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Each (tenant, id) once, the last item of a repeated one winning.
fn last_of_each(items: &[Generated]) -> BTreeMap<(Option<i64>, String), &Value> {
    let mut last = BTreeMap::new();
    for item in items {
        let id = match &item.json["id"] {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        last.insert((item.json["tenant"].as_i64(), id), &item.json);
    }
    last
}

#[test]
fn any_upsert_body_is_stored_whole_when_valid_and_refused_by_field_when_not() {
    let runtime = runtime();
    let emulator = runtime.block_on(support::start(support::emulator()));
    let emulator = &emulator;

    check(&runtime, items(), |items| {
        Box::pin(async move {
            let slug = format!("case-{}", COLLECTIONS.fetch_add(1, Ordering::Relaxed));
            let body = json!({
                "collection": {
                    "slug": slug,
                    "metadata": {
                        "status": {"type": "enum", "options": ["draft", "sent", "paid"]},
                        "due": {"type": "datetime"},
                        "name": {"type": "string"},
                    },
                },
                "items": items.iter().map(|item| item.json.clone()).collect::<Vec<_>>(),
            });
            let expected = expected_errors(&items);

            let (status, answer) = post(emulator, &body).await;

            if expected.is_empty() {
                prop_assert_eq!(status, 201, "{}", answer);
                check_stored(emulator, &slug, &items)?;
            } else {
                prop_assert_eq!(status, 422, "{}", answer);
                let named: BTreeSet<String> = answer["errors"]
                    .as_object()
                    .map(|errors| errors.keys().cloned().collect())
                    .unwrap_or_default();
                prop_assert_eq!(named, expected);
                prop_assert!(answer["message"].is_string());
                prop_assert!(emulator.items(&slug).is_empty());
            }
            Ok(())
        })
    });
}

fn check_stored(emulator: &Emulator, slug: &str, items: &[Generated]) -> Result<(), TestCaseError> {
    let last = last_of_each(items);
    prop_assert_eq!(emulator.items(slug).len(), last.len());
    for ((tenant, id), sent) in last {
        let stored = emulator.item(slug, tenant, &id);
        let Some(stored) = stored else {
            return Err(TestCaseError::fail(format!("{tenant:?}/{id} not stored")));
        };
        prop_assert_eq!(&Value::Object(stored.data), &sent["data"]);
        let metadata = match &sent["metadata"] {
            Value::Null => json!({}),
            metadata => metadata.clone(),
        };
        prop_assert_eq!(Value::Object(stored.metadata), metadata);
        prop_assert_eq!(stored.url.as_deref(), sent["url"].as_str());
    }
    Ok(())
}
