//! `POST /v1/query` and the chat endpoints, answered by keyword match.

use serde_json::{Value, json};

use crate::common::*;

/// An emulator holding three invoices of tenant 1 and one of tenant 2.
async fn with_invoices() -> Api {
    let api = start().await;
    let body = upsert_of(vec![
        invoice("1", Some(1), "Acme Corp", "draft"),
        invoice("2", Some(1), "Globex", "draft"),
        invoice("3", Some(1), "Initech", "paid"),
        invoice("4", Some(2), "Acme Corp", "draft"),
    ]);
    assert_eq!(api.post("upserts", &body).await.status, 201);
    api
}

fn text(message: &Value) -> &str {
    message["text"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn query_answers_with_a_chat_message_naming_the_matches() {
    let api = with_invoices().await;

    let reply = api
        .post(
            "query",
            &json!({"text": "Which invoices are in draft?", "tenant": 1}),
        )
        .await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    let message = &reply.json["data"];
    assert_eq!(message["role"], "assistant");
    assert!(
        text(message).starts_with("2 items match"),
        "{}",
        text(message)
    );
    assert!(
        text(message).contains("invoices/1, invoices/2"),
        "{}",
        text(message)
    );
    assert!(
        text(message).contains("language model"),
        "{}",
        text(message)
    );
    assert!(
        message["text_html"]
            .as_str()
            .is_some_and(|h| h.starts_with("<p>"))
    );
    for field in ["id", "chat_id", "created_at"] {
        assert!(message[field].is_string(), "{field}");
    }
    for field in ["user", "identifier", "feedback"] {
        assert_eq!(message[field], json!(null), "{field}");
    }
}

#[tokio::test]
async fn query_ranks_items_matching_more_keywords_first() {
    let api = with_invoices().await;

    let reply = api
        .post(
            "query",
            &json!({"text": "draft invoice for Globex", "tenant": 1}),
        )
        .await;

    let answer = text(&reply.json["data"]);
    assert!(
        answer.contains("Best matches: invoices/2, invoices/1"),
        "{answer}"
    );
}

#[tokio::test]
async fn query_is_restricted_to_the_tenant() {
    let api = with_invoices().await;

    let tenant_2 = api
        .post("query", &json!({"text": "Acme", "tenant": 2}))
        .await;
    assert!(text(&tenant_2.json["data"]).starts_with("1 item matches"));
    assert!(text(&tenant_2.json["data"]).contains("invoices/4"));

    let everyone = api.post("query", &json!({"text": "Acme"})).await;
    assert!(text(&everyone.json["data"]).starts_with("2 items match"));
}

#[tokio::test]
async fn query_is_restricted_to_the_collections() {
    let api = with_invoices().await;

    let reply = api
        .post(
            "query",
            &json!({"text": "Acme", "collections": ["customers"]}),
        )
        .await;

    assert!(
        text(&reply.json["data"]).starts_with("No stored items match"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn query_text_is_required() {
    let api = start().await;

    let reply = api.post("query", &json!({"tenant": 1})).await;

    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_keys(), ["text"]);
}

#[tokio::test]
async fn query_fields_have_types() {
    let api = start().await;

    let body = json!({"text": "x", "collections": "invoices", "tenant": "1", "identifier": 5});
    let reply = api.post("query", &body).await;

    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_keys(), ["collections", "identifier", "tenant"]);
}

#[tokio::test]
async fn query_answer_belongs_to_a_chat_that_can_be_read() {
    let api = with_invoices().await;
    let identifier = json!({"id": "123", "name": "John Doe", "email": "john@example.com"});

    let reply = api
        .post("query", &json!({"text": "paid", "identifier": identifier}))
        .await;

    let message = &reply.json["data"];
    assert_eq!(message["identifier"], identifier);
    let chat = api
        .get(&format!(
            "chats/{}",
            message["chat_id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(chat.status, 200);
    assert_eq!(chat.json["data"]["messages"][1], *message);
}

#[tokio::test]
async fn chat_is_created_with_its_first_exchange() {
    let api = with_invoices().await;

    let reply = api
        .post(
            "chats",
            &json!({"text": "Show the paid invoices", "tenant": 1}),
        )
        .await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    let chat = &reply.json["data"];
    assert_eq!(chat["name"], "Show the paid invoices");
    assert_eq!(chat["tenant"], 1);
    assert_eq!(chat["user"], json!(null));
    assert!(chat["id"].is_string() && chat["created_at"].is_string());
    let messages = chat["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0]["role"].as_str(), text(&messages[0])),
        (Some("user"), "Show the paid invoices")
    );
    assert_eq!(messages[1]["role"], "assistant");
    assert!(
        text(&messages[1]).contains("invoices/3"),
        "{}",
        text(&messages[1])
    );
    assert_eq!(messages[1]["chat_id"], chat["id"]);
}

#[tokio::test]
async fn chats_are_listed_newest_first_and_paginated() {
    let api = start().await;
    for i in 0..3 {
        api.post("chats", &json!({"text": format!("question {i}")}))
            .await;
    }

    let reply = api.get("chats?per_page=2").await;

    assert_eq!(reply.status, 200);
    let data = reply.json["data"].as_array().expect("a list");
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["name"], "question 2");
    assert_eq!(reply.json["meta"]["total"], 3);
    assert_eq!(
        reply.json["links"]["next"],
        api.url("chats?page=2&per_page=2")
    );
}

#[tokio::test]
async fn chat_message_gets_an_answer_from_the_chats_scope() {
    let api = with_invoices().await;
    let chat = api
        .post("chats", &json!({"text": "hello", "tenant": 2}))
        .await;
    let chat_id = chat.json["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let reply = api
        .post(
            &format!("chats/{chat_id}/messages"),
            &json!({"text": "Acme"}),
        )
        .await;

    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["data"]["role"], "assistant");
    assert!(
        text(&reply.json["data"]).starts_with("1 item matches"),
        "{}",
        reply.text
    );
    let chat = api.get(&format!("chats/{chat_id}")).await;
    assert_eq!(
        chat.json["data"]["messages"].as_array().map(Vec::len),
        Some(4)
    );
}

#[tokio::test]
async fn chat_message_text_is_required() {
    let api = start().await;
    api.post("chats", &json!({"text": "hello"})).await;

    let reply = api.post("chats/1/messages", &json!({"text": ""})).await;

    assert_eq!(reply.status, 422);
    assert_eq!(reply.error_keys(), ["text"]);
}

#[tokio::test]
async fn chat_message_can_be_read_by_id() {
    let api = start().await;
    api.post("chats", &json!({"text": "hello"})).await;
    api.post("chats", &json!({"text": "again"})).await;

    let first = api.get("chats/1/messages/1").await;
    assert_eq!(first.status, 200);
    assert_eq!(text(&first.json["data"]), "hello");

    // Message 3 belongs to chat 2.
    assert_eq!(api.get("chats/1/messages/3").await.status, 404);
    assert_eq!(api.get("chats/2/messages/3").await.status, 200);
}

#[tokio::test]
async fn feedback_is_kept_on_the_chat_and_the_message() {
    let api = start().await;
    api.post("chats", &json!({"text": "hello"})).await;

    let chat = api
        .post("chats/1/feedback", &json!({"feedback": "helpful"}))
        .await;
    assert_eq!(chat.status, 201, "{}", chat.text);
    assert_eq!(chat.json["data"]["feedback"], "helpful");

    let message = api
        .post("chats/1/messages/2/feedback", &json!({"feedback": "wrong"}))
        .await;
    assert_eq!(message.status, 201);
    assert_eq!(message.json["data"]["feedback"], "wrong");
    assert_eq!(
        api.get("chats/1/messages/2").await.json["data"]["feedback"],
        "wrong"
    );
}

#[tokio::test]
async fn feedback_is_required() {
    let api = start().await;
    api.post("chats", &json!({"text": "hello"})).await;

    let chat = api.post("chats/1/feedback", &json!({})).await;
    assert_eq!(
        (chat.status, chat.error_keys()),
        (422, vec!["feedback".to_owned()])
    );
    let message = api
        .post("chats/1/messages/1/feedback", &json!({"feedback": 1}))
        .await;
    assert_eq!(
        (message.status, message.error_keys()),
        (422, vec!["feedback".to_owned()])
    );
}

#[tokio::test]
async fn unknown_chats_and_messages_are_404() {
    let api = start().await;

    for path in ["chats/1", "chats/x", "chats/1/messages/1"] {
        let reply = api.get(path).await;
        assert_eq!(reply.status, 404, "{path}");
        assert!(reply.json["message"].is_string());
    }
    for path in [
        "chats/9/messages",
        "chats/9/feedback",
        "chats/9/messages/1/feedback",
    ] {
        let reply = api.post(path, &json!({"text": "x", "feedback": "x"})).await;
        assert_eq!(reply.status, 404, "{path}");
    }
}
