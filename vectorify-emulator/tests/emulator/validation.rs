//! One test per rule of an upsert body: the 422 names the broken field by
//! its dotted path, and nothing is stored.

use serde_json::{Value, json};

use crate::common::*;

/// Posts `body` as an upsert and returns the 422's error keys.
async fn error_keys(body: Value) -> Vec<String> {
    let api = start().await;
    let reply = api.post("upserts", &body).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(
        reply.json["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{}",
        reply.text
    );
    assert_eq!(api.emulator.item_count(), 0);
    reply.error_keys()
}

/// An upsert of one valid invoice, changed by `change`.
fn with_item(change: impl FnOnce(&mut Value)) -> Value {
    let mut item = invoice("1", Some(5), "Ann", "draft");
    change(&mut item);
    upsert_of(vec![item])
}

/// An upsert of one valid invoice, its collection changed by `change`.
fn with_collection(change: impl FnOnce(&mut Value)) -> Value {
    let mut body = one_invoice();
    change(&mut body["collection"]);
    body
}

fn remove(value: &mut Value, key: &str) {
    if let Some(map) = value.as_object_mut() {
        map.remove(key);
    }
}

#[tokio::test]
async fn items_is_required() {
    assert_eq!(
        error_keys(json!({"collection": invoices()})).await,
        ["items"]
    );
}

#[tokio::test]
async fn items_must_be_an_array() {
    assert_eq!(
        error_keys(json!({"collection": invoices(), "items": {"0": {}}})).await,
        ["items"]
    );
}

#[tokio::test]
async fn items_must_not_be_empty() {
    assert_eq!(error_keys(upsert_of(vec![])).await, ["items"]);
}

#[tokio::test]
async fn items_must_not_exceed_ninety() {
    let items = (0..91)
        .map(|i| invoice(&i.to_string(), None, "Ann", "draft"))
        .collect();
    assert_eq!(error_keys(upsert_of(items)).await, ["items"]);
}

#[tokio::test]
async fn item_must_be_an_object() {
    let body = upsert_of(vec![invoice("1", None, "Ann", "draft"), json!("2")]);
    assert_eq!(error_keys(body).await, ["items.1"]);
}

#[tokio::test]
async fn item_id_is_required() {
    assert_eq!(
        error_keys(with_item(|item| remove(item, "id"))).await,
        ["items.0.id"]
    );
}

#[tokio::test]
async fn item_id_must_not_be_empty() {
    assert_eq!(
        error_keys(with_item(|item| item["id"] = json!(""))).await,
        ["items.0.id"]
    );
    assert_eq!(
        error_keys(with_item(|item| item["id"] = json!("  "))).await,
        ["items.0.id"]
    );
}

#[tokio::test]
async fn item_id_must_be_a_string_or_an_integer() {
    assert_eq!(
        error_keys(with_item(|item| item["id"] = json!(1.5))).await,
        ["items.0.id"]
    );
    assert_eq!(
        error_keys(with_item(|item| item["id"] = json!(true))).await,
        ["items.0.id"]
    );
}

#[tokio::test]
async fn item_data_is_required() {
    assert_eq!(
        error_keys(with_item(|item| remove(item, "data"))).await,
        ["items.0.data"]
    );
}

#[tokio::test]
async fn item_data_must_be_an_object() {
    assert_eq!(
        error_keys(with_item(|item| item["data"] = json!([]))).await,
        ["items.0.data"]
    );
}

#[tokio::test]
async fn item_metadata_must_be_an_object() {
    let keys = error_keys(with_item(|item| item["metadata"] = json!([]))).await;
    assert_eq!(keys, ["items.0.metadata"]);
}

#[tokio::test]
async fn item_metadata_keys_must_be_declared_by_the_collection() {
    let keys = error_keys(with_item(|item| item["metadata"]["colour"] = json!("red"))).await;
    assert_eq!(keys, ["items.0.metadata.colour"]);
}

#[tokio::test]
async fn string_metadata_must_be_a_string() {
    let keys = error_keys(with_item(|item| {
        item["metadata"]["customer_name"] = json!(7)
    }))
    .await;
    assert_eq!(keys, ["items.0.metadata.customer_name"]);
}

#[tokio::test]
async fn enum_metadata_must_be_one_of_the_options() {
    let keys = error_keys(with_item(|item| {
        item["metadata"]["status"] = json!("overdue")
    }))
    .await;
    assert_eq!(keys, ["items.0.metadata.status"]);
}

#[tokio::test]
async fn datetime_metadata_must_be_an_iso_8601_date() {
    for bad in [json!("01/10/2023"), json!("2023-02-30"), json!(20231001)] {
        let keys = error_keys(with_item(|item| item["metadata"]["due_date"] = bad.clone())).await;
        assert_eq!(keys, ["items.0.metadata.due_date"], "{bad}");
    }

    let api = start().await;
    for good in [
        "2023-10-01",
        "2023-10-01T12:00:00Z",
        "2023-10-01T12:00:00.5+02:00",
    ] {
        let body = with_item(|item| item["metadata"]["due_date"] = json!(good));
        assert_eq!(api.post("upserts", &body).await.status, 201, "{good}");
    }
}

#[tokio::test]
async fn metadata_may_be_null_or_left_out() {
    let api = start().await;
    let null_value = with_item(|item| item["metadata"]["status"] = json!(null));
    assert_eq!(api.post("upserts", &null_value).await.status, 201);
    let left_out = with_item(|item| remove(item, "metadata"));
    assert_eq!(api.post("upserts", &left_out).await.status, 201);
}

#[tokio::test]
async fn tenant_must_be_an_integer() {
    assert_eq!(
        error_keys(with_item(|item| item["tenant"] = json!("987"))).await,
        ["items.0.tenant"]
    );
    assert_eq!(
        error_keys(with_item(|item| item["tenant"] = json!(1.5))).await,
        ["items.0.tenant"]
    );
}

#[tokio::test]
async fn url_must_be_a_string_or_null() {
    assert_eq!(
        error_keys(with_item(|item| item["url"] = json!(5))).await,
        ["items.0.url"]
    );

    let api = start().await;
    let null_url = with_item(|item| item["url"] = json!(null));
    assert_eq!(api.post("upserts", &null_url).await.status, 201);
}

#[tokio::test]
async fn collection_is_required() {
    let body = json!({"items": [invoice("1", None, "Ann", "draft")]});
    // Without a collection the metadata keys cannot be checked, so only
    // the missing collection is reported.
    assert_eq!(error_keys(body).await, ["collection"]);
}

#[tokio::test]
async fn collection_must_be_an_object() {
    let body = json!({"collection": "invoices", "items": [invoice("1", None, "Ann", "draft")]});
    assert_eq!(error_keys(body).await, ["collection"]);
}

#[tokio::test]
async fn collection_slug_is_required() {
    let keys = error_keys(with_collection(|c| remove(c, "slug"))).await;
    assert_eq!(keys, ["collection.slug"]);
}

#[tokio::test]
async fn collection_slug_is_lowercase_letters_digits_dashes_and_underscores() {
    for bad in ["Invoices", "line item", "façade", "a/b"] {
        let keys = error_keys(with_collection(|c| c["slug"] = json!(bad))).await;
        assert_eq!(keys, ["collection.slug"], "{bad}");
    }

    let api = start().await;
    let good = json!({"collection": {"slug": "line-item_2"}, "items": [{"id": "1", "data": {}}]});
    assert_eq!(api.post("upserts", &good).await.status, 201);
}

#[tokio::test]
async fn collection_metadata_must_be_an_object() {
    let keys = error_keys(with_collection(|c| c["metadata"] = json!(["status"]))).await;
    assert_eq!(keys, ["collection.metadata"]);
}

#[tokio::test]
async fn metadata_type_is_required() {
    let keys = error_keys(with_collection(|c| c["metadata"]["status"] = json!({}))).await;
    assert_eq!(keys, ["collection.metadata.status.type"]);
}

#[tokio::test]
async fn metadata_type_is_string_enum_or_datetime() {
    let keys = error_keys(with_collection(|c| {
        c["metadata"]["customer_name"] = json!({"type": "number"})
    }))
    .await;
    assert_eq!(keys, ["collection.metadata.customer_name.type"]);
}

#[tokio::test]
async fn enum_options_are_required() {
    let keys = error_keys(with_collection(|c| {
        c["metadata"]["status"] = json!({"type": "enum"})
    }))
    .await;
    assert_eq!(keys, ["collection.metadata.status.options"]);
}

#[tokio::test]
async fn enum_options_must_not_be_empty() {
    let keys = error_keys(with_collection(|c| {
        c["metadata"]["status"]["options"] = json!([])
    }))
    .await;
    assert_eq!(keys, ["collection.metadata.status.options"]);
}

#[tokio::test]
async fn enum_options_must_be_non_empty_strings() {
    let keys = error_keys(with_collection(|c| {
        c["metadata"]["status"]["options"] = json!(["draft", "", 3]);
    }))
    .await;
    assert_eq!(
        keys,
        [
            "collection.metadata.status.options.1",
            "collection.metadata.status.options.2"
        ]
    );
}

#[tokio::test]
async fn every_broken_rule_of_the_body_is_reported() {
    let api = start().await;
    let body = json!({
        "collection": {"slug": "Invoices", "metadata": {"status": {"type": "enum", "options": ["a"]}}},
        "items": [
            {"data": {}, "metadata": {"status": "b"}},
            {"id": "2", "data": "text", "tenant": "x"}
        ]
    });

    let reply = api.post("upserts", &body).await;

    assert_eq!(reply.status, 422);
    assert_eq!(
        reply.error_keys(),
        [
            "collection.slug",
            "items.0.id",
            "items.0.metadata.status",
            "items.1.data",
            "items.1.tenant"
        ]
    );
    let message = reply.json["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("The collection.slug field format is invalid"),
        "{message}"
    );
    assert!(message.ends_with(" (and 4 more errors)"), "{message}");
    assert_eq!(
        reply.json["errors"]["items.0.id"],
        json!(["The items.0.id field is required."])
    );
    // The errors keep the order the rules found them in.
    let first_key = reply
        .text
        .split("\"errors\":{\"")
        .nth(1)
        .unwrap_or_default();
    assert!(first_key.starts_with("collection.slug"), "{}", reply.text);
}
