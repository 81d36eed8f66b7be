//! Chats over HTTP: opened with a question, continued, read back, listed
//! across pages, and given feedback.

use futures_util::TryStreamExt;
use vectorify_core::api::{ChatId, MessageId};
use vectorify_core::{Error, Question, Role};

use crate::support::{self, Invoice, ok};

fn question() -> Question {
    Question::new("which invoices are in draft status?")
        .collection::<Invoice>()
        .tenant(987)
}

#[tokio::test]
async fn a_chat_opens_with_its_question_and_answer() {
    let (emulator, client) = support::with_invoices().await;

    let chat = ok(client.create_chat(&question()).await);

    assert_eq!(chat.tenant.map(|tenant| tenant.get()), Some(987));
    assert!(chat.name.is_some() && chat.created_at.is_some());
    let roles: Vec<Option<Role>> = chat.messages.iter().map(|m| m.role.clone()).collect();
    assert_eq!(roles, [Some(Role::User), Some(Role::Assistant)]);
    assert_eq!(chat.messages[0].text, "which invoices are in draft status?");
    let answer = chat
        .last_answer()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(answer.contains("invoices/123"), "{answer}");
    assert!(
        chat.messages
            .iter()
            .all(|m| m.chat_id.as_ref() == Some(&chat.id))
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_follow_up_is_answered_in_the_same_chat() {
    let (emulator, client) = support::with_invoices().await;
    let chat = ok(client.create_chat(&question()).await);

    let follow_up = ok(client
        .send_message(&chat.id, "and those of Acme Corp?")
        .await);
    assert_eq!(follow_up.chat_id.as_ref(), Some(&chat.id));
    assert_eq!(follow_up.role, Some(Role::Assistant));
    assert!(
        follow_up.text.contains("invoices/125"),
        "{}",
        follow_up.text
    );

    let read_back = ok(client.chat(&chat.id).await);
    assert_eq!(read_back.messages.len(), 4);
    assert_eq!(read_back.messages[2].text, "and those of Acme Corp?");
    assert_eq!(read_back.last_answer().map(|m| &m.id), Some(&follow_up.id));

    let fetched = ok(client.chat_message(&chat.id, &follow_up.id).await);
    assert_eq!(fetched, follow_up);
    emulator.shutdown().await;
}

#[tokio::test]
async fn feedback_on_a_chat_and_on_a_message_is_kept() {
    let (emulator, client) = support::with_invoices().await;
    let chat = ok(client.create_chat(&question()).await);
    let answer_id = chat.last_answer().map(|m| m.id.clone());
    let answer_id = answer_id.unwrap_or_else(|| panic!("the chat has an answer"));

    let rated = ok(client.chat_feedback(&chat.id, "useful chat").await);
    assert_eq!(rated.feedback.as_deref(), Some("useful chat"));
    let message = ok(client
        .message_feedback(&chat.id, &answer_id, "wrong total")
        .await);
    assert_eq!(message.feedback.as_deref(), Some("wrong total"));

    let read_back = ok(client.chat(chat.id.clone()).await);
    assert_eq!(read_back.feedback.as_deref(), Some("useful chat"));
    let message = ok(client.chat_message(&chat.id, &answer_id).await);
    assert_eq!(message.feedback.as_deref(), Some("wrong total"));

    let paths: Vec<String> = emulator
        .requests()
        .into_iter()
        .filter(|request| request.method == "POST")
        .map(|request| request.path)
        .collect();
    let chat_path = format!("/v1/chats/{}", chat.id);
    assert_eq!(
        paths,
        [
            "/v1/chats".to_owned(),
            format!("{chat_path}/feedback"),
            format!("{chat_path}/messages/{answer_id}/feedback"),
        ]
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_chats_are_listed_across_pages_newest_first() {
    let (emulator, client) = support::with_invoices().await;
    let mut opened = Vec::new();
    for number in 0..5 {
        let chat = ok(client
            .create_chat(&Question::new(format!("question {number}")))
            .await);
        opened.push(chat.id);
    }

    let listed: Vec<_> = ok(client.chats().per_page(2).items().try_collect().await);

    let ids: Vec<ChatId> = listed.iter().map(|chat| chat.id.clone()).collect();
    opened.reverse();
    assert_eq!(ids, opened);
    assert!(listed.iter().all(|chat| chat.messages.len() == 2));
    emulator.shutdown().await;
}

#[tokio::test]
async fn unknown_chats_and_messages_of_other_chats_are_404s() {
    let (emulator, client) = support::with_invoices().await;
    let first = ok(client.create_chat(&question()).await);
    let second = ok(client.create_chat(&question()).await);
    let message_of_second = second.messages[0].id.clone();

    let status = |result: Result<_, Error>| result.err().as_ref().and_then(Error::status);
    assert_eq!(status(client.chat(999).await.map(drop)), Some(404));
    assert_eq!(
        status(
            client
                .chat_message(&first.id, &message_of_second)
                .await
                .map(drop)
        ),
        Some(404)
    );
    assert_eq!(
        status(client.send_message(999, "anyone?").await.map(drop)),
        Some(404)
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_id_stays_in_its_own_path_segment() {
    let (emulator, client) = support::with_invoices().await;
    let chat = ok(client.create_chat(&question()).await);
    emulator.clear_requests();

    let sneaky = format!("{}/feedback", chat.id);
    let error = client.chat(sneaky.as_str()).await.err();
    assert_eq!(
        error.as_ref().and_then(Error::status),
        Some(404),
        "{error:?}"
    );
    let requests = emulator.requests();
    assert_eq!(
        requests[0].path,
        format!("/v1/chats/{}%2Ffeedback", chat.id)
    );

    for id in ["", ".", ".."] {
        match client.chat_message(&chat.id, MessageId::from(id)).await {
            Err(Error::InvalidId { what, id: refused }) => {
                assert_eq!((what, refused.as_str()), ("message", id));
            }
            other => panic!("expected the id {id:?} to be refused, got {other:?}"),
        }
    }
    assert_eq!(emulator.requests().len(), 1, "refused ids are never sent");
    emulator.shutdown().await;
}
