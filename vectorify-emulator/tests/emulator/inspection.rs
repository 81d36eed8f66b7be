//! What a test can see of the emulator: stored items, recorded requests, and
//! the store across a restart.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use vectorify_emulator::{Emulator, Faults, MASK, UpsertStatus};

use crate::common::*;

#[tokio::test]
async fn requests_are_recorded_with_the_key_masked() {
    let api = start().await;
    let body = upsert_of(vec![
        invoice("1", None, "Ann", "draft"),
        invoice("2", None, "Bob", "paid"),
    ]);

    api.post("upserts", &body).await;
    api.get("upserts?page=1").await;

    let requests = api.emulator.requests();
    assert_eq!(requests.len(), 2);
    let upsert = &requests[0];
    assert_eq!(
        (upsert.method.as_str(), upsert.path.as_str()),
        ("POST", "/v1/upserts")
    );
    assert_eq!(upsert.status, Some(201));
    assert_eq!(upsert.body_bytes, body.to_string().len());
    assert_eq!(upsert.items, 2);
    assert_eq!(upsert.fault, None);
    assert_eq!(upsert.header("Api-Key"), Some(MASK));
    assert_eq!(upsert.header("content-type"), Some("application/json"));
    let list = &requests[1];
    assert_eq!(
        (list.query.as_deref(), list.items, list.body_bytes),
        (Some("page=1"), 0, 0)
    );
    assert!(!format!("{requests:?}").contains(KEY));
    assert_eq!(api.emulator.request_count(), 2);
}

#[tokio::test]
async fn refused_upserts_are_recorded_with_their_item_count() {
    let api = start().await;
    let mut body = upsert_of(vec![
        invoice("1", None, "Ann", "draft"),
        invoice("2", None, "Bob", "paid"),
    ]);
    body["items"][1]["id"] = json!(null);

    api.post("upserts", &body).await;
    let _ = api
        .try_call(reqwest::Method::POST, "upserts", Some(&body), None)
        .await;

    let requests = api.emulator.requests();
    assert_eq!((requests[0].status, requests[0].items), (Some(422), 2));
    assert_eq!((requests[1].status, requests[1].items), (Some(401), 2));
}

#[tokio::test]
async fn request_log_keeps_the_most_recent_and_counts_all() {
    let api = start_with(builder().request_log_limit(2)).await;

    for page in 1..=3 {
        api.get(&format!("upserts?page={page}")).await;
    }

    let queries: Vec<_> = api
        .emulator
        .requests()
        .into_iter()
        .filter_map(|r| r.query)
        .collect();
    assert_eq!(queries, ["page=2", "page=3"]);
    assert_eq!(api.emulator.request_count(), 3);
    api.emulator.clear_requests();
    assert!(api.emulator.requests().is_empty());
}

#[tokio::test]
async fn on_request_sees_every_request() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let api = start_with(builder().on_request(move |r| {
        if let Ok(mut seen) = sink.lock() {
            seen.push((r.method.clone(), r.status));
        }
    }))
    .await;

    api.get("upserts").await;
    api.get("nowhere").await;

    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(
        seen,
        [("GET".to_owned(), Some(200)), ("GET".to_owned(), Some(404))]
    );
}

#[tokio::test]
async fn items_are_listed_by_tenant_then_id() {
    let api = start().await;
    let body = upsert_of(vec![
        invoice("b", Some(2), "x", "draft"),
        invoice("a", Some(2), "x", "draft"),
        invoice("c", None, "x", "draft"),
        invoice("a", Some(1), "x", "draft"),
    ]);
    api.post("upserts", &body).await;

    let keys: Vec<_> = api
        .emulator
        .items("invoices")
        .into_iter()
        .map(|i| (i.tenant, i.id))
        .collect();

    assert_eq!(
        keys,
        [
            (None, "c".to_owned()),
            (Some(1), "a".to_owned()),
            (Some(2), "a".to_owned()),
            (Some(2), "b".to_owned())
        ]
    );
    assert!(api.emulator.items("unknown").is_empty());
}

#[tokio::test]
async fn upserts_are_inspectable() {
    let api = start_with(builder().processing_time(Duration::ZERO)).await;
    api.post("upserts", &one_invoice()).await;

    let upserts = api.emulator.upserts();

    assert_eq!(upserts.len(), 1);
    assert_eq!((upserts[0].id, upserts[0].chunk_size), (1, 1));
    assert_eq!(upserts[0].status, UpsertStatus::Completed);
    assert_eq!(
        upserts[0].completed_at.as_deref(),
        Some(upserts[0].created_at.as_str())
    );
}

#[tokio::test]
async fn restarted_emulator_keeps_its_store() {
    let first = start().await;
    first.post("upserts", &one_invoice()).await;
    let store = first.emulator.store();
    let port = first.emulator.addr().port();
    first.emulator.shutdown().await;

    let second = start_with(builder().port(port).store(store)).await;

    assert_eq!(second.emulator.addr().port(), port);
    assert!(second.emulator.item("invoices", Some(987), "123").is_some());
    assert_eq!(second.get("upserts/1").await.status, 200);
    // The requests seen belong to each emulator; only the store carries over.
    assert_eq!(second.emulator.requests().len(), 1);
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish() {
    let faults = Faults::none().latency(Duration::from_millis(500));
    let api = start_with(builder().faults(faults)).await;
    let request = {
        let (client, url) = (api.client.clone(), api.url("upserts"));
        tokio::spawn(async move {
            client
                .post(url)
                .header("api-key", KEY)
                .body(one_invoice().to_string())
                .send()
                .await
        })
    };
    // Long enough for the request to reach the server, well inside its latency.
    tokio::time::sleep(Duration::from_millis(150)).await;

    let store = api.emulator.store();
    api.emulator.shutdown().await;

    let response = request.await.expect("joins").expect("an answer");
    assert_eq!(response.status().as_u16(), 201);
    assert_eq!(store.item_count(), 1);
}

#[tokio::test]
async fn dropping_the_emulator_stops_serving() {
    let emulator = Emulator::start().await.expect("starts");
    let addr = emulator.addr();

    drop(emulator);

    let mut refused = false;
    for _ in 0..400 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "still accepting connections on {addr}");
}
