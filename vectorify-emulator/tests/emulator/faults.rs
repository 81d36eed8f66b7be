//! Injected faults: 5xx answers, 429s, dropped connections, lost responses,
//! latency, and the reproducibility of their draws.

use std::time::{Duration, Instant};

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vectorify_emulator::{FaultKind, Faults};

use crate::common::*;

/// What a client saw: a status, or `None` when the connection closed without one.
async fn outcome(api: &Api, path: &str) -> Option<u16> {
    let body = one_invoice();
    let method = if path == "upserts" {
        Method::POST
    } else {
        Method::GET
    };
    let body = (method == Method::POST).then_some(&body);
    api.try_call(method, path, body, Some(KEY))
        .await
        .ok()
        .map(|reply| reply.status)
}

/// Sends an upsert over a bare socket and returns every byte the server wrote.
async fn raw_upsert(api: &Api) -> Vec<u8> {
    let body = one_invoice().to_string();
    let request = format!(
        "POST /v1/upserts HTTP/1.1\r\nHost: {}\r\nApi-Key: {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        api.emulator.addr(),
        body.len()
    );
    let mut stream = TcpStream::connect(api.emulator.addr())
        .await
        .expect("connects");
    stream.write_all(request.as_bytes()).await.expect("sends");
    let mut answer = Vec::new();
    // A reset is as good as a close here: either way no response came.
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    answer
}

#[tokio::test]
async fn server_errors_answer_5xx_in_json_or_html_and_store_nothing() {
    let api = start_with(builder().faults(Faults::none().server_errors(1.0))).await;

    let mut content_types = Vec::new();
    for _ in 0..16 {
        let reply = api.post("upserts", &one_invoice()).await;
        assert!(matches!(reply.status, 500 | 502 | 503), "{}", reply.status);
        let content_type = reply.header("content-type").unwrap_or_default().to_owned();
        if content_type.starts_with("application/json") {
            assert!(reply.json["message"].is_string(), "{}", reply.text);
        } else {
            assert!(reply.text.contains("<html>"), "{}", reply.text);
        }
        content_types.push(content_type);
    }

    assert!(content_types.iter().any(|t| t.starts_with("text/html")));
    assert!(
        content_types
            .iter()
            .any(|t| t.starts_with("application/json"))
    );
    assert_eq!(api.emulator.item_count(), 0);
    assert!(
        api.emulator
            .requests()
            .iter()
            .all(|r| r.fault == Some(FaultKind::ServerError))
    );
}

#[tokio::test]
async fn injected_429_carries_retry_after_and_stores_nothing() {
    let faults = Faults::none()
        .rate_limited(1.0)
        .retry_after(Duration::from_secs(3));
    let api = start_with(builder().faults(faults)).await;

    let reply = api.post("upserts", &one_invoice()).await;

    assert_eq!(reply.status, 429);
    assert_eq!(reply.json["message"], "Too Many Attempts.");
    assert_eq!(reply.header("retry-after"), Some("3"));
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn injected_429_says_retry_after_one_second_unless_set() {
    let api = start_with(builder().faults(Faults::none().rate_limited(1.0))).await;

    assert_eq!(api.get("upserts").await.header("retry-after"), Some("1"));
}

#[tokio::test]
async fn dropped_connection_gives_the_client_an_error_and_stores_nothing() {
    let api = start_with(builder().faults(Faults::none().dropped_connections(1.0))).await;

    let result = api
        .try_call(Method::POST, "upserts", Some(&one_invoice()), Some(KEY))
        .await;

    assert!(result.is_err(), "{result:?}");
    assert_eq!(api.emulator.item_count(), 0);
    let recorded = &api.emulator.requests()[0];
    assert_eq!(recorded.status, None);
    assert_eq!(recorded.fault, Some(FaultKind::DroppedConnection));
    assert_eq!(recorded.items, 1);
}

#[tokio::test]
async fn dropped_connection_writes_no_byte() {
    let api = start_with(builder().faults(Faults::none().dropped_connections(1.0))).await;

    assert_eq!(raw_upsert(&api).await, b"");
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn lost_response_stores_the_items_but_the_client_gets_an_error() {
    let api = start_with(builder().faults(Faults::none().lost_responses(1.0))).await;

    let result = api
        .try_call(Method::POST, "upserts", Some(&one_invoice()), Some(KEY))
        .await;

    assert!(result.is_err(), "{result:?}");
    assert!(api.emulator.item("invoices", Some(987), "123").is_some());
    let recorded = &api.emulator.requests()[0];
    assert_eq!(recorded.status, None);
    assert_eq!(recorded.fault, Some(FaultKind::LostResponse));
}

#[tokio::test]
async fn lost_response_writes_no_byte() {
    let api = start_with(builder().faults(Faults::none().lost_responses(1.0))).await;

    assert_eq!(raw_upsert(&api).await, b"");
    assert_eq!(api.emulator.item_count(), 1);
}

#[tokio::test]
async fn the_same_seed_injects_the_same_faults() {
    let faults = Faults::none()
        .seed(42)
        .server_errors(0.2)
        .rate_limited(0.2)
        .dropped_connections(0.2)
        .lost_responses(0.2);
    let run = |faults: Faults| async move {
        let api = start_with(builder().faults(faults)).await;
        let mut outcomes = Vec::new();
        for _ in 0..30 {
            outcomes.push(outcome(&api, "upserts").await);
        }
        let faults: Vec<_> = api.emulator.requests().iter().map(|r| r.fault).collect();
        (outcomes, faults, api.emulator.item_count())
    };

    let first = run(faults.clone()).await;
    let second = run(faults.clone()).await;
    let other_seed = run(faults.seed(43)).await;

    assert_eq!(first, second);
    assert_ne!(first.1, other_seed.1);
    for kind in [
        FaultKind::ServerError,
        FaultKind::RateLimited,
        FaultKind::DroppedConnection,
        FaultKind::LostResponse,
    ] {
        assert!(
            first.1.contains(&Some(kind)),
            "{kind:?} never drawn: {:?}",
            first.1
        );
    }
    assert!(first.1.contains(&None));
}

#[tokio::test]
async fn latency_delays_every_request() {
    let api =
        start_with(builder().faults(Faults::none().latency(Duration::from_millis(120)))).await;

    let started = Instant::now();
    assert_eq!(api.get("upserts").await.status, 200);

    assert!(
        started.elapsed() >= Duration::from_millis(120),
        "{:?}",
        started.elapsed()
    );
    assert!(api.emulator.requests()[0].duration >= Duration::from_millis(120));
    assert_eq!(api.emulator.requests()[0].fault, None);
}

#[tokio::test]
async fn latency_jitter_adds_at_most_its_amount() {
    let faults = Faults::none()
        .latency(Duration::from_millis(10))
        .latency_jitter(Duration::from_millis(40));
    let api = start_with(builder().faults(faults)).await;

    for _ in 0..5 {
        api.get("upserts").await;
    }

    let durations: Vec<Duration> = api.emulator.requests().iter().map(|r| r.duration).collect();
    assert!(
        durations.iter().all(|d| *d >= Duration::from_millis(10)),
        "{durations:?}"
    );
    assert!(
        durations.iter().all(|d| *d < Duration::from_millis(1000)),
        "{durations:?}"
    );
    assert!(durations.windows(2).any(|w| w[0] != w[1]), "{durations:?}");
}

#[tokio::test]
async fn faults_spare_requests_that_fail_authentication() {
    let api = start_with(builder().faults(Faults::none().server_errors(1.0))).await;

    let reply = api
        .try_call(Method::GET, "upserts", None, Some("wrong"))
        .await
        .expect("an answer");

    assert_eq!(reply.status, 401);
    assert_eq!(api.emulator.requests()[0].fault, None);
}

#[tokio::test]
async fn faults_can_be_changed_while_running() {
    let api = start().await;
    assert_eq!(api.get("upserts").await.status, 200);

    api.emulator.set_faults(Faults::none().rate_limited(1.0));
    assert_eq!(api.emulator.faults(), Faults::none().rate_limited(1.0));
    assert_eq!(api.get("upserts").await.status, 429);

    api.emulator.set_faults(Faults::none());
    assert_eq!(api.get("upserts").await.status, 200);
}

#[tokio::test]
async fn a_pooled_client_recovers_after_a_dropped_connection() {
    let faults = Faults::none().seed(3).dropped_connections(0.5);
    let emulator = builder().faults(faults).start().await.expect("starts");
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let url = format!("{}upserts", emulator.base_url());

    let mut answered = 0;
    let mut dropped = 0;
    for _ in 0..20 {
        let sent = client.get(&url).header("api-key", KEY).send().await;
        match sent {
            Ok(response) => {
                assert_eq!(response.status().as_u16(), 200);
                answered += 1;
            }
            Err(_) => dropped += 1,
        }
    }

    let recorded_drops = emulator
        .requests()
        .iter()
        .filter(|r| r.fault == Some(FaultKind::DroppedConnection))
        .count();
    assert!(
        answered > 0 && dropped > 0,
        "{answered} answered, {dropped} dropped"
    );
    assert_eq!(dropped, recorded_drops);
}
