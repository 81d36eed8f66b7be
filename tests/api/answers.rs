//! Answers the emulator never gives, from a server with one fixed answer:
//! unknown and missing fields over HTTP, and an answer that does not read.

use vectorify_core::{Error, Question};

use crate::support::{self, ok};

#[tokio::test]
async fn an_answer_with_unknown_and_missing_fields_reads() {
    let base_url = support::fixed_answer(
        r#"{"data": {"id": 5, "text": "Two.", "confidence": 0.9, "sources": []}, "debug": true}"#,
    );
    let client = ok(support::builder(&base_url).build());

    let answer = ok(client.query(&Question::new("how many?")).await);
    assert_eq!(answer.id.as_str(), "5");
    assert_eq!(answer.text, "Two.");
    assert!(answer.chat_id.is_none() && answer.role.is_none());
    assert_eq!(
        answer.extra.get("confidence"),
        Some(&serde_json::json!(0.9))
    );
}

#[tokio::test]
async fn an_answer_that_does_not_read_names_the_request_and_keeps_the_body() {
    let base_url = support::fixed_answer(r#"{"data": [1, 2, 3]}"#);
    let client = ok(support::builder(&base_url).build());

    match client.chat(7).await {
        Err(Error::Decode { request, body, .. }) => {
            assert_eq!(request, "GET /v1/chats/7");
            assert_eq!(body, r#"{"data": [1, 2, 3]}"#);
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn errors_of_the_api_calls_never_show_the_key() {
    let emulator = support::start(support::emulator()).await;
    let client = ok(vectorify_core::Client::builder()
        .api_key("wrong-key-7f3e11")
        .base_url(emulator.base_url())
        .build());

    let error = client.chats().page(1).await.err();
    let error = error.unwrap_or_else(|| panic!("a wrong key must be refused"));
    assert_eq!(error.status(), Some(401));
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("wrong-key-7f3e11"), "{shown}");
    }
    emulator.shutdown().await;
}
