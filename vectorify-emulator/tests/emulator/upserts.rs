//! `POST /v1/upserts`, `GET /v1/upserts`, `GET /v1/upserts/{id}`, and the
//! answers to unknown routes, wrong methods, oversized and malformed bodies.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn upsert_answers_201_queued_with_a_timestamp() {
    let api = start().await;

    let reply = api.post("upserts", &one_invoice()).await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["data"]["result"], "Queued");
    let created_at = reply.json["data"]["created_at"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        created_at.len(),
        "2023-10-01T12:00:00.000000Z".len(),
        "{created_at}"
    );
    assert!(created_at.ends_with('Z') && created_at.as_bytes()[10] == b'T');
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn upsert_stores_every_field_of_the_item() {
    let api = start().await;

    api.post("upserts", &one_invoice()).await;

    let item = api
        .emulator
        .item("invoices", Some(987), "123")
        .expect("stored");
    assert_eq!(item.collection, "invoices");
    assert_eq!(item.data["customer_name"], "John Doe");
    assert_eq!(item.data["amount"], "100");
    assert_eq!(item.metadata["status"], "draft");
    assert_eq!(
        item.url.as_deref(),
        Some("https://app.example.com/invoices/123")
    );
    assert_eq!(api.emulator.item_count(), 1);
}

#[tokio::test]
async fn upsert_keeps_tenants_apart() {
    let api = start().await;

    let body = upsert_of(vec![
        invoice("1", Some(1), "Ann", "draft"),
        invoice("1", Some(2), "Bob", "paid"),
        invoice("1", None, "Cid", "sent"),
    ]);
    assert_eq!(api.post("upserts", &body).await.status, 201);

    assert_eq!(api.emulator.item_count(), 3);
    let customer = |tenant| {
        api.emulator
            .item("invoices", tenant, "1")
            .map(|i| i.data["customer_name"].clone())
    };
    assert_eq!(customer(Some(1)), Some(json!("Ann")));
    assert_eq!(customer(Some(2)), Some(json!("Bob")));
    assert_eq!(customer(None), Some(json!("Cid")));
    assert_eq!(api.emulator.item("invoices", Some(3), "1"), None);
}

#[tokio::test]
async fn upsert_replaces_an_item_with_the_same_id() {
    let api = start().await;

    api.post("upserts", &one_invoice()).await;
    let again = upsert_of(vec![invoice("123", Some(987), "John Doe", "paid")]);
    assert_eq!(api.post("upserts", &again).await.status, 201);

    assert_eq!(api.emulator.item_count(), 1);
    let item = api
        .emulator
        .item("invoices", Some(987), "123")
        .expect("stored");
    assert_eq!(item.metadata["status"], "paid");
}

#[tokio::test]
async fn upsert_keeps_collections_apart() {
    let api = start().await;

    api.post("upserts", &one_invoice()).await;
    let customers = json!({
        "collection": {"slug": "customers"},
        "items": [{"id": "123", "data": {"name": "John Doe"}}]
    });
    assert_eq!(api.post("upserts", &customers).await.status, 201);

    assert_eq!(api.emulator.item_count(), 2);
    assert_eq!(api.emulator.items("customers").len(), 1);
    assert_eq!(api.emulator.items("invoices").len(), 1);
    let slugs: Vec<String> = api
        .emulator
        .collections()
        .into_iter()
        .map(|c| c.slug)
        .collect();
    assert_eq!(slugs, ["customers", "invoices"]);
}

#[tokio::test]
async fn upsert_accepts_integer_ids_as_their_decimal_text() {
    let api = start().await;

    let mut item = invoice("x", None, "Ann", "draft");
    item["id"] = json!(123);
    assert_eq!(
        api.post("upserts", &upsert_of(vec![item])).await.status,
        201
    );

    assert!(api.emulator.item("invoices", None, "123").is_some());
}

#[tokio::test]
async fn upsert_records_the_collection_schema() {
    let api = start().await;

    api.post("upserts", &one_invoice()).await;

    let collections = api.emulator.collections();
    assert_eq!(collections.len(), 1);
    assert_eq!(collections[0].slug, "invoices");
    assert_eq!(collections[0].metadata, invoices()["metadata"]);
}

#[tokio::test]
async fn upsert_with_one_invalid_item_stores_nothing() {
    let api = start().await;

    let mut broken = invoice("2", None, "Bob", "draft");
    broken["metadata"]["status"] = json!("lost");
    let body = upsert_of(vec![invoice("1", None, "Ann", "draft"), broken]);
    let reply = api.post("upserts", &body).await;

    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_keys(), ["items.1.metadata.status"]);
    assert_eq!(api.emulator.item_count(), 0);
    assert!(api.emulator.upserts().is_empty());
}

#[tokio::test]
async fn upsert_accepts_ninety_items() {
    let api = start().await;

    let items = (0..90)
        .map(|i| invoice(&i.to_string(), None, "Ann", "sent"))
        .collect();
    let reply = api.post("upserts", &upsert_of(items)).await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(api.emulator.item_count(), 90);
    assert_eq!(api.emulator.upserts()[0].chunk_size, 90);
}

#[tokio::test]
async fn body_past_the_size_limit_is_413_with_a_json_message() {
    let api = start_with(builder().max_body_bytes(2048)).await;

    let items = (0..40)
        .map(|i| invoice(&i.to_string(), None, "Ann", "draft"))
        .collect();
    let body = upsert_of(items);
    assert!(body.to_string().len() > 2048);
    let reply = api.post("upserts", &body).await;

    assert_eq!(reply.status, 413);
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap_or_default()
            .contains("2048"),
        "{}",
        reply.text
    );
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn body_at_the_size_limit_is_accepted() {
    let body = one_invoice().to_string().into_bytes();
    let api = start_with(builder().max_body_bytes(body.len())).await;

    let reply = api
        .send_raw(Method::POST, "upserts", Some(body), Some(KEY))
        .await
        .expect("an answer");

    assert_eq!(reply.status, 201);
}

#[tokio::test]
async fn malformed_json_is_400_with_a_message() {
    let api = start().await;

    let reply = api
        .send_raw(
            Method::POST,
            "upserts",
            Some(b"{\"items\": [".to_vec()),
            Some(KEY),
        )
        .await
        .expect("an answer");

    assert_eq!(reply.status, 400);
    let message = reply.json["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("The request body is not valid JSON"),
        "{message}"
    );
}

#[tokio::test]
async fn empty_body_is_judged_as_an_empty_object() {
    let api = start().await;

    let reply = api
        .send_raw(Method::POST, "upserts", Some(Vec::new()), Some(KEY))
        .await
        .expect("an answer");

    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_keys(), ["collection", "items"]);
}

#[tokio::test]
async fn upserts_are_listed_newest_first_fifteen_per_page() {
    let api = start().await;
    for i in 0..20 {
        let body = upsert_of(vec![invoice(&i.to_string(), None, "Ann", "draft")]);
        assert_eq!(api.post("upserts", &body).await.status, 201);
    }

    let first = api.get("upserts").await;
    assert_eq!(first.status, 200);
    let data = first.json["data"].as_array().expect("a list");
    assert_eq!(data.len(), 15);
    assert_eq!(data[0]["id"], "20");
    assert_eq!(data[14]["id"], "6");
    let meta = &first.json["meta"];
    assert_eq!(
        (meta["current_page"].as_u64(), meta["last_page"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(
        (meta["per_page"].as_u64(), meta["total"].as_u64()),
        (Some(15), Some(20))
    );
    assert_eq!(first.json["links"]["next"], api.url("upserts?page=2"));
    assert_eq!(first.json["links"]["prev"], json!(null));

    let second = api.get("upserts?page=2").await;
    let data = second.json["data"].as_array().expect("a list");
    assert_eq!(data.len(), 5);
    assert_eq!(data[4]["id"], "1");
    assert_eq!(second.json["links"]["next"], json!(null));
    assert_eq!(second.json["links"]["prev"], api.url("upserts?page=1"));
}

#[tokio::test]
async fn upsert_list_honours_per_page() {
    let api = start().await;
    for i in 0..5 {
        api.post(
            "upserts",
            &upsert_of(vec![invoice(&i.to_string(), None, "Ann", "draft")]),
        )
        .await;
    }

    let reply = api.get("upserts?per_page=2&page=3").await;

    let data = reply.json["data"].as_array().expect("a list");
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["id"], "1");
    assert_eq!(reply.json["meta"]["last_page"], 3);
    assert_eq!(reply.json["meta"]["from"], 5);
}

#[tokio::test]
async fn empty_upsert_list_has_one_empty_page() {
    let api = start().await;

    let reply = api.get("upserts").await;

    assert_eq!(reply.json["data"], json!([]));
    assert_eq!(reply.json["meta"]["last_page"], 1);
    assert_eq!(reply.json["meta"]["total"], 0);
    assert_eq!(reply.json["meta"]["from"], json!(null));
}

#[tokio::test]
async fn upsert_status_moves_from_queued_to_completed() {
    let api = start_with(builder().processing_time(Duration::from_millis(250))).await;
    api.post("upserts", &one_invoice()).await;

    let queued = api.get("upserts/1").await;
    assert_eq!(queued.status, 200);
    let upsert = &queued.json["data"];
    assert_eq!(upsert["status"], "Queued");
    assert_eq!(upsert["completed_at"], json!(null));
    assert_eq!(upsert["collection"], "invoices");
    assert_eq!(upsert["chunk_size"], 1);
    assert_eq!(upsert["id"], "1");

    tokio::time::sleep(Duration::from_millis(260)).await;
    let completed = api.get("upserts/1").await;
    assert_eq!(completed.json["data"]["status"], "Completed");
    assert!(
        completed.json["data"]["completed_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(
        api.get("upserts").await.json["data"][0]["status"],
        "Completed"
    );
}

#[tokio::test]
async fn unknown_upsert_is_404_with_a_message() {
    let api = start().await;

    for path in ["upserts/1", "upserts/0", "upserts/abc"] {
        let reply = api.get(path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.json["message"].is_string(), "{path}: {}", reply.text);
    }
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let api = start().await;

    let reply = api.get("nothing/here").await;

    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.json["message"],
        "The route v1/nothing/here could not be found."
    );
}

#[tokio::test]
async fn wrong_method_is_405_json_with_allow() {
    let api = start().await;

    let reply = api.call(Method::DELETE, "upserts", None).await;

    assert_eq!(reply.status, 405);
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap_or_default()
            .contains("DELETE"),
        "{}",
        reply.text
    );
    let allow = reply.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
}

#[tokio::test]
async fn a_path_the_router_cannot_read_is_answered_in_json() {
    let api = start().await;

    let reply = api.get("upserts/%FF").await;

    assert!(matches!(reply.status, 400 | 404), "{}", reply.status);
    assert!(reply.json["message"].is_string(), "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

/// Sends `body` in chunks of `chunk` bytes with a pause between them, so
/// that the server reads it in several pieces; returns the status line.
async fn send_in_chunks(api: &Api, body: &[u8], chunk: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let head = format!(
        "POST /v1/upserts HTTP/1.1\r\nHost: {}\r\nApi-Key: {KEY}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        api.emulator.addr()
    );
    let mut stream = tokio::net::TcpStream::connect(api.emulator.addr())
        .await
        .expect("connects");
    stream.set_nodelay(true).expect("no delay");
    stream.write_all(head.as_bytes()).await.expect("sends");
    for piece in body.chunks(chunk) {
        let mut framed = format!("{:x}\r\n", piece.len()).into_bytes();
        framed.extend_from_slice(piece);
        framed.extend_from_slice(b"\r\n");
        stream.write_all(&framed).await.expect("sends");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stream.write_all(b"0\r\n\r\n").await.expect("sends");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("an answer")
        .expect("reads");
    let answer = String::from_utf8_lossy(&answer);
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_body_in_several_pieces_is_read_whole() {
    let api = start().await;
    let items = (0..3)
        .map(|i| invoice(&i.to_string(), Some(7), "Ann", "draft"))
        .collect();
    let body = upsert_of(items).to_string().into_bytes();

    let status = send_in_chunks(&api, &body, body.len() / 3 + 1).await;

    assert!(status.starts_with("HTTP/1.1 201"), "{status}");
    assert_eq!(api.emulator.item_count(), 3);
    let item = api.emulator.item("invoices", Some(7), "2").expect("stored");
    assert_eq!(item.data["customer_name"], "Ann");
    let requests = api.emulator.requests();
    assert_eq!(requests[0].body_bytes, body.len());
    assert_eq!(requests[0].items, 3);
}

#[tokio::test]
async fn a_body_in_pieces_past_the_size_limit_is_413() {
    let api = start_with(builder().max_body_bytes(1024)).await;
    let items = (0..20)
        .map(|i| invoice(&i.to_string(), None, "Ann", "draft"))
        .collect();
    let body = upsert_of(items).to_string().into_bytes();
    assert!(body.len() > 1024);

    let status = send_in_chunks(&api, &body, 700).await;

    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert_eq!(api.emulator.item_count(), 0);
    assert_eq!(api.emulator.requests()[0].body_bytes, body.len());
}
