//! The `Api-Key` header.

use reqwest::Method;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn missing_api_key_is_401_unauthenticated() {
    let api = start().await;

    let reply = api
        .try_call(Method::POST, "upserts", Some(&one_invoice()), None)
        .await
        .expect("an answer");

    assert_eq!(reply.status, 401);
    assert_eq!(reply.json, json!({"message": "Unauthenticated."}));
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn wrong_api_key_is_401_unauthenticated() {
    let api = start().await;

    let reply = api
        .try_call(Method::POST, "upserts", Some(&one_invoice()), Some("other"))
        .await
        .expect("an answer");

    assert_eq!(reply.status, 401);
    assert_eq!(reply.json["message"], "Unauthenticated.");
    assert_eq!(api.emulator.item_count(), 0);
}

#[tokio::test]
async fn every_route_needs_the_key() {
    let api = start().await;

    let routes = [
        (Method::GET, "upserts"),
        (Method::GET, "upserts/1"),
        (Method::POST, "query"),
        (Method::GET, "chats"),
        (Method::POST, "chats"),
        (Method::GET, "chats/1"),
        (Method::POST, "chats/1/messages"),
        (Method::GET, "chats/1/messages/1"),
        (Method::POST, "chats/1/feedback"),
        (Method::POST, "chats/1/messages/1/feedback"),
    ];
    for (method, path) in routes {
        let reply = api
            .try_call(method.clone(), path, None, None)
            .await
            .expect("an answer");
        assert_eq!(reply.status, 401, "{method} {path}");
    }
}

#[tokio::test]
async fn key_is_compared_without_surrounding_whitespace() {
    let api = start_with(builder().api_key(" test-key\n")).await;
    assert_eq!(api.emulator.api_key(), KEY);

    let reply = api
        .try_call(Method::GET, "upserts", None, Some(" test-key "))
        .await
        .expect("an answer");

    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn default_key_is_the_documented_one() {
    let emulator = vectorify_emulator::Emulator::start().await.expect("starts");
    assert_eq!(emulator.api_key(), vectorify_emulator::DEFAULT_API_KEY);
    assert_eq!(vectorify_emulator::DEFAULT_API_KEY, "emulator-key");
    assert!(emulator.base_url().starts_with("http://127.0.0.1:"));
    assert!(emulator.base_url().ends_with("/v1/"));
    assert_eq!(
        emulator.base_url(),
        format!("http://{}/v1/", emulator.addr())
    );
}
