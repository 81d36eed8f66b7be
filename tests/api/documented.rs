//! The documented examples of the API reference, and answers that differ
//! from them in the ways the reference leaves open, read into the typed
//! answers; questions written as the reference writes them.

use serde_json::{Value, json};
use vectorify_core::api::{ChatId, MessageId, Page, UpsertId};
use vectorify_core::{
    Chat, ChatMessage, Identifier, Question, Role, Upsert, UpsertReceipt, UpsertStatus,
};

use crate::support::{Invoice, read};

#[test]
fn the_documented_upsert_answer_reads_as_a_receipt() {
    #[derive(serde::Deserialize)]
    struct Data {
        data: UpsertReceipt,
    }
    let answer: Data =
        read(r#"{"data": {"result": "Queued", "created_at": "2024-05-01T12:00:00.000000Z"}}"#);
    assert_eq!(answer.data.result, Some(UpsertStatus::Queued));
    assert_eq!(
        answer.data.created_at.as_deref(),
        Some("2024-05-01T12:00:00.000000Z")
    );
    assert!(answer.data.extra.is_empty());
}

#[test]
fn the_documented_question_is_written_as_documented() {
    let question = Question::new("how many invoices are in draft status?")
        .collection::<Invoice>()
        .tenant(987)
        .identifier(
            Identifier::new()
                .id("123")
                .name("John Doe")
                .email("john@example.com"),
        );
    let written: Value = crate::support::ok(serde_json::to_value(&question));
    assert_eq!(
        written,
        json!({
            "text": "how many invoices are in draft status?",
            "collections": ["invoices"],
            "tenant": 987,
            "identifier": {"id": "123", "name": "John Doe", "email": "john@example.com"},
        })
    );
}

#[test]
fn a_question_leaves_out_what_is_not_set() {
    let written = crate::support::ok(serde_json::to_string(&Question::new("what is overdue?")));
    assert_eq!(written, r#"{"text":"what is overdue?"}"#);

    let only_tenant = Question::new("what is overdue?").tenant(5u8);
    let written = crate::support::ok(serde_json::to_string(&only_tenant));
    assert_eq!(written, r#"{"text":"what is overdue?","tenant":5}"#);

    let asker = Identifier::new().email("a@example.com");
    let written = crate::support::ok(serde_json::to_string(&asker));
    assert_eq!(written, r#"{"email":"a@example.com"}"#);
}

#[test]
fn collections_come_from_types_or_slugs_each_once() {
    let question = Question::new("x")
        .collection::<Invoice>()
        .collection_slug("customers")
        .collection_slug(<Invoice as vectorify_core::Vectorify>::SLUG);
    assert_eq!(
        question.collections(),
        Some(&["invoices".to_owned(), "customers".to_owned()][..])
    );
}

/// A chat with every field the reference lists, its message likewise.
const DOCUMENTED_CHAT: &str = r#"{
    "id": "12",
    "name": "how many invoices are in draft status?",
    "tenant": 987,
    "user": {"id": "3", "name": "Ada", "email": "ada@example.com", "avatar": "https://example.com/ada.png", "created_at": "2024-01-02T03:04:05Z"},
    "created_at": "2024-05-01T12:00:00Z",
    "messages": [
        {"id": "40", "chat_id": "12", "role": "user", "user": null, "text": "how many invoices are in draft status?", "text_html": "<p>how many invoices are in draft status?</p>", "identifier": {"id": "123", "name": "John Doe", "email": "john@example.com"}, "feedback": null, "created_at": "2024-05-01T12:00:00Z"},
        {"id": "41", "chat_id": "12", "role": "assistant", "user": null, "text": "Two invoices are in draft.", "text_html": "<p>Two invoices are in draft.</p>", "identifier": {"id": "123", "name": "John Doe", "email": "john@example.com"}, "feedback": "helpful", "created_at": "2024-05-01T12:00:01Z"}
    ]
}"#;

#[test]
fn the_documented_chat_reads_every_field() {
    let chat: Chat = read(DOCUMENTED_CHAT);
    assert_eq!(chat.id, ChatId::from(12));
    assert_eq!(
        chat.name.as_deref(),
        Some("how many invoices are in draft status?")
    );
    assert_eq!(chat.tenant.map(|tenant| tenant.get()), Some(987));
    let user = chat.user.clone().unwrap_or_default();
    assert_eq!(
        (
            user.id.as_deref(),
            user.name.as_deref(),
            user.email.as_deref()
        ),
        (Some("3"), Some("Ada"), Some("ada@example.com"))
    );
    assert_eq!(user.avatar.as_deref(), Some("https://example.com/ada.png"));
    assert_eq!(chat.created_at.as_deref(), Some("2024-05-01T12:00:00Z"));
    assert_eq!(chat.messages.len(), 2);

    let answer = chat.last_answer().cloned();
    let answer = answer.unwrap_or_else(|| panic!("the chat has an answer"));
    assert_eq!(answer.id, MessageId::from("41"));
    assert_eq!(answer.chat_id, Some(chat.id.clone()));
    assert_eq!(answer.role, Some(Role::Assistant));
    assert_eq!(answer.text, "Two invoices are in draft.");
    assert_eq!(
        answer.text_html.as_deref(),
        Some("<p>Two invoices are in draft.</p>")
    );
    assert_eq!(answer.feedback.as_deref(), Some("helpful"));
    let asker = answer.identifier.unwrap_or_default();
    assert_eq!(asker.email.as_deref(), Some("john@example.com"));
    assert_eq!(chat.messages[0].role, Some(Role::User));
}

#[test]
fn answers_keep_the_fields_they_do_not_know() {
    let message: ChatMessage = read(
        r#"{"id": "1", "text": "hi", "sources": [{"collection": "invoices", "id": "123"}], "tokens": 42}"#,
    );
    assert_eq!(message.extra.get("tokens"), Some(&json!(42)));
    assert_eq!(
        message.extra.get("sources"),
        Some(&json!([{"collection": "invoices", "id": "123"}]))
    );

    let upsert: Upsert = read(r#"{"id": "9", "status": "Queued", "priority": "low"}"#);
    assert_eq!(upsert.extra.get("priority"), Some(&json!("low")));
}

#[test]
fn answers_with_only_an_id_read_with_the_rest_empty() {
    let chat: Chat = read(r#"{"id": "7"}"#);
    assert_eq!(chat.id.as_str(), "7");
    assert!(chat.name.is_none() && chat.tenant.is_none() && chat.user.is_none());
    assert!(chat.messages.is_empty() && chat.last_answer().is_none());

    let message: ChatMessage = read(r#"{"id": 8}"#);
    assert_eq!(message.id.as_str(), "8");
    assert_eq!(message.text, "");
    assert!(message.role.is_none() && message.chat_id.is_none());

    let upsert: Upsert = read(r#"{"id": 9}"#);
    assert_eq!(upsert.id, UpsertId::from(9));
    assert!(upsert.status.is_none() && upsert.collection.is_none());
}

#[test]
fn null_fields_read_as_absent() {
    let chat: Chat = read(
        r#"{"id": "7", "name": null, "tenant": null, "user": null, "feedback": null, "created_at": null, "messages": null}"#,
    );
    assert!(chat.name.is_none() && chat.tenant.is_none() && chat.messages.is_empty());

    let message: ChatMessage =
        read(r#"{"id": "8", "chat_id": null, "role": null, "text": null, "identifier": null}"#);
    assert_eq!(message.text, "");
    assert!(message.identifier.is_none());
}

#[test]
fn a_user_given_by_id_alone_reads() {
    let chat: Chat = read(r#"{"id": "7", "user": 3}"#);
    assert_eq!(chat.user.and_then(|user| user.id).as_deref(), Some("3"));
}

#[test]
fn ids_and_tenants_read_as_text_or_integers() {
    let message: ChatMessage = read(r#"{"id": 41, "chat_id": 12}"#);
    assert_eq!(message.id, MessageId::from("41"));
    assert_eq!(message.chat_id, Some(ChatId::from(12)));

    let chat: Chat = read(r#"{"id": "12", "tenant": "987"}"#);
    assert_eq!(chat.tenant.map(|tenant| tenant.get()), Some(987));
}

#[test]
fn upsert_statuses_read_known_values_in_any_case_and_keep_unknown_ones() {
    for (written, status) in [
        ("Pending", UpsertStatus::Pending),
        ("Queued", UpsertStatus::Queued),
        ("processing", UpsertStatus::Processing),
        ("COMPLETED", UpsertStatus::Completed),
        ("Failed", UpsertStatus::Failed),
        ("Throttled", UpsertStatus::Other("Throttled".into())),
    ] {
        let read: UpsertStatus = read(&format!("{written:?}"));
        assert_eq!(read, status, "{written}");
    }
    let upsert: Upsert = read(r#"{"id": "1", "status": "Throttled"}"#);
    assert_eq!(upsert.status, Some(UpsertStatus::Other("Throttled".into())));
    assert_eq!(
        crate::support::ok(serde_json::to_string(&UpsertStatus::Other(
            "Throttled".into()
        ))),
        r#""Throttled""#
    );
}

#[test]
fn roles_keep_unknown_values() {
    let message: ChatMessage = read(r#"{"id": "1", "role": "system"}"#);
    assert_eq!(message.role, Some(Role::Other("system".into())));
}

#[test]
fn a_page_reads_the_laravel_paginator() {
    let page: Page<Upsert> = read(
        r#"{
            "data": [{"id": "2", "collection": "invoices", "chunk_size": 90, "status": "Completed", "created_at": "2024-05-01T12:00:00Z", "completed_at": "2024-05-01T12:00:02Z"}],
            "links": {"first": "https://api.vectorify.ai/v1/upserts?page=1", "last": "https://api.vectorify.ai/v1/upserts?page=2", "prev": null, "next": "https://api.vectorify.ai/v1/upserts?page=2"},
            "meta": {"current_page": 1, "from": 1, "last_page": 2, "path": "https://api.vectorify.ai/v1/upserts", "per_page": "1", "to": 1, "total": 2}
        }"#,
    );
    assert!(page.has_next());
    assert_eq!(
        (
            page.meta.current_page,
            page.meta.last_page,
            page.meta.per_page,
            page.meta.total
        ),
        (Some(1), Some(2), Some(1), Some(2))
    );
    assert_eq!(page.links.prev, None);
    let upsert = &page.data[0];
    assert_eq!(upsert.collection.as_deref(), Some("invoices"));
    assert_eq!(upsert.chunk_size, Some(90));
    assert_eq!(upsert.completed_at.as_deref(), Some("2024-05-01T12:00:02Z"));
}
