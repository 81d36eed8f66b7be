//! The server-wide rate limit and its headers.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde_json::json;
use vectorify_emulator::RateLimit;

use crate::common::*;

fn number(reply: &Reply, header: &str) -> u64 {
    reply
        .header(header)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{header} in {:?}", reply.headers))
}

#[tokio::test]
async fn responses_carry_the_rate_limit_headers() {
    let api = start_with(builder().rate_limit(RateLimit::per_minute(3))).await;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();

    let remaining: Vec<u64> = {
        let mut remaining = Vec::new();
        for _ in 0..3 {
            let reply = api.get("upserts").await;
            assert_eq!(reply.status, 200);
            assert_eq!(number(&reply, "x-ratelimit-limit"), 3);
            let reset = number(&reply, "x-ratelimit-reset");
            assert!((now + 59..=now + 62).contains(&reset), "{reset} vs {now}");
            assert_eq!(reply.header("retry-after"), None);
            remaining.push(number(&reply, "x-ratelimit-remaining"));
        }
        remaining
    };

    assert_eq!(remaining, [2, 1, 0]);
}

#[tokio::test]
async fn past_the_limit_is_429_with_retry_after() {
    let api = start_with(builder().rate_limit(RateLimit::per_minute(2))).await;
    api.get("upserts").await;
    api.get("upserts").await;

    let reply = api.post("upserts", &one_invoice()).await;

    assert_eq!(reply.status, 429);
    assert_eq!(reply.json, json!({"message": "Too Many Attempts."}));
    let retry_after = number(&reply, "retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(number(&reply, "x-ratelimit-remaining"), 0);
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn limit_counts_every_request_even_unauthenticated_ones() {
    let api = start_with(builder().rate_limit(RateLimit::per_minute(1))).await;

    let unauthenticated = api
        .try_call(Method::GET, "upserts", None, None)
        .await
        .expect("an answer");
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(number(&unauthenticated, "x-ratelimit-remaining"), 0);

    assert_eq!(api.get("upserts").await.status, 429);
}

#[tokio::test]
async fn a_new_window_allows_requests_again() {
    let api = start_with(builder().rate_limit(RateLimit::new(1, Duration::from_millis(400)))).await;
    assert_eq!(api.get("upserts").await.status, 200);

    let refused = api.get("upserts").await;
    assert_eq!(refused.status, 429);
    // Whole seconds, never zero, even when the window ends sooner.
    assert_eq!(refused.header("retry-after"), Some("1"));

    tokio::time::sleep(Duration::from_millis(420)).await;
    assert_eq!(api.get("upserts").await.status, 200);
}

#[tokio::test]
async fn no_rate_limit_headers_unless_a_limit_is_set() {
    let api = start().await;

    let reply = api.get("upserts").await;

    assert_eq!(reply.header("x-ratelimit-limit"), None);
    assert_eq!(reply.header("x-ratelimit-remaining"), None);
}

#[tokio::test]
async fn rate_limit_can_be_set_and_removed_while_running() {
    let api = start().await;

    api.emulator.set_rate_limit(Some(RateLimit::per_second(1)));
    assert_eq!(api.get("upserts").await.status, 200);
    assert_eq!(api.get("upserts").await.status, 429);

    api.emulator.set_rate_limit(None);
    let reply = api.get("upserts").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-ratelimit-limit"), None);
}
