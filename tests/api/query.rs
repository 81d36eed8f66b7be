//! `client.query(&question)` over HTTP: answers from the upserted items,
//! within the collections and tenant asked, and never asked twice.

use std::time::Duration;

use vectorify_core::{Error, Identifier, NoPacing, Question, Role};
use vectorify_emulator::{FaultKind, Faults};

use crate::support::{self, Invoice, ok};

#[tokio::test]
async fn a_question_is_answered_from_the_items_of_its_collection_and_tenant() {
    let (emulator, client) = support::with_invoices().await;

    let question = Question::new("which invoices are in draft status?")
        .collection::<Invoice>()
        .tenant(987)
        .identifier(Identifier::new().id(123).name("John Doe"));
    let answer = ok(client.query(&question).await);

    assert_eq!(answer.role, Some(Role::Assistant));
    // Invoice 126 is a draft too, but of tenant 654.
    assert!(answer.text.contains("invoices/123"), "{}", answer.text);
    assert!(!answer.text.contains("invoices/126"), "{}", answer.text);
    let asker = answer.identifier.clone().unwrap_or_default();
    assert_eq!(
        (asker.id.as_deref(), asker.name.as_deref()),
        (Some("123"), Some("John Doe"))
    );
    assert!(answer.created_at.is_some());

    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("POST", "/v1/query")
    );
    assert_eq!(requests[0].status, Some(201));
    assert_eq!(requests[0].header("content-type"), Some("application/json"));
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_collections_asked_bound_the_search() {
    let (emulator, client) = support::with_invoices().await;

    let elsewhere = Question::new("draft invoices").collection_slug("customers");
    let answer = ok(client.query(&elsewhere).await);
    assert!(
        answer.text.starts_with("No stored items"),
        "{}",
        answer.text
    );

    // Every collection and every tenant when none is named.
    let anywhere = ok(client.query(&Question::new("draft invoices")).await);
    assert!(anywhere.text.contains("invoices/126"), "{}", anywhere.text);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_answer_leads_to_the_chat_that_holds_it() {
    let (emulator, client) = support::with_invoices().await;

    let answer = ok(client.query(&Question::new("what does Acme owe?")).await);
    let chat_id = answer.chat_id.clone();
    let chat = ok(client
        .chat(chat_id.unwrap_or_else(|| panic!("the answer names its chat")))
        .await);

    let texts: Vec<&str> = chat.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["what does Acme owe?", answer.text.as_str()]);
    assert_eq!(chat.last_answer().map(|m| &m.id), Some(&answer.id));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_question_without_text_is_refused_with_its_field_error() {
    let (emulator, client) = support::with_invoices().await;

    let error = client.query(&Question::new("")).await.err();
    match error {
        Some(Error::Api(error)) => {
            assert_eq!(error.status, 422);
            assert!(error.errors.contains_key("text"), "{:?}", error.errors);
        }
        other => panic!("expected a 422, got {other:?}"),
    }
    assert_eq!(emulator.requests().len(), 1, "a 422 is not sent again");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_question_is_not_sent_again_after_a_server_error() {
    let (emulator, client) = support::with_invoices().await;
    emulator.set_faults(Faults::none().seed(1).server_errors(1.0));

    let error = client.query(&Question::new("draft invoices")).await.err();
    let status = error.as_ref().and_then(Error::status);
    assert!(status.is_some_and(|status| status >= 500), "{error:?}");
    assert_eq!(emulator.requests().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_question_whose_answer_was_lost_is_not_asked_twice() {
    let (emulator, client) = support::with_invoices().await;
    emulator.set_faults(Faults::none().seed(1).lost_responses(1.0));

    let error = client.query(&Question::new("draft invoices")).await.err();
    assert!(matches!(error, Some(Error::Connection(_))), "{error:?}");
    assert_eq!(emulator.requests().len(), 1);
    // The emulator answered it once; one chat holds it.
    assert_eq!(emulator.store().chat_count(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn questions_are_sent_again_after_429s_and_answered_once_each() {
    let (emulator, _) = support::with_invoices().await;
    // The emulator asks for a second; the test waits a few milliseconds.
    let client = ok(support::builder(&emulator.base_url())
        .retry_policy(support::quick_retries().max_retry_after(Duration::from_millis(5)))
        .pacer(NoPacing)
        .build());
    emulator.set_faults(Faults::none().seed(7).rate_limited(0.4));

    for number in 0..8 {
        let question = Question::new(format!("question {number} about draft invoices"));
        ok(client.query(&question).await);
    }

    let limited = emulator
        .requests()
        .iter()
        .filter(|request| request.fault == Some(FaultKind::RateLimited))
        .count();
    assert!(limited > 0, "the seed meets at least one 429");
    assert_eq!(emulator.requests().len(), 8 + limited);
    assert_eq!(emulator.store().chat_count(), 8);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_query_future_is_send() {
    let (emulator, client) = support::with_invoices().await;
    let handle = tokio::spawn(async move { client.query(&Question::new("draft")).await });
    ok(ok(handle.await));
    emulator.shutdown().await;
}
