//! One item at a time: `invoice.upsert(&client)`.

use vectorify_core::{Client, Error, Vectorify};

use crate::support::{self, Day, KEY, as_sent, as_stored, invoice};

#[tokio::test]
async fn upserts_one_item_with_its_data_metadata_tenant_and_url() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    let invoice = invoice(123);
    support::ok(invoice.upsert(&client).await);

    let stored = emulator.item("invoices", Some(903), "123");
    let stored = stored.unwrap_or_else(|| panic!("not stored"));
    assert_eq!(as_stored(&stored), as_sent(&invoice));
    assert_eq!(
        stored.url.as_deref(),
        Some("https://app.example.com/invoices/123")
    );

    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/upserts")
    );
    assert_eq!(request.status, Some(201));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert!(request.header("api-key").is_some());
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_upsert_future_is_send() {
    fn assert_send<T: Send>(value: T) -> T {
        value
    }

    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let invoice = invoice(1);
    // Spawning needs Send; so do most web frameworks' handlers.
    let handle = tokio::spawn({
        let client = client.clone();
        async move { assert_send(invoice.upsert(&client)).await }
    });
    support::ok(support::ok(handle.await));
    assert_eq!(emulator.item_count(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_refused_item_gives_the_api_status_message_and_field_errors() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    let mut invalid = invoice(7);
    invalid.due_date = Day("next tuesday".into());
    let error = match invalid.upsert(&client).await {
        Err(Error::Api(error)) => error,
        other => panic!("expected an API error, got {other:?}"),
    };
    assert_eq!(error.status, 422);
    assert!(
        error
            .message
            .as_deref()
            .is_some_and(|m| m.contains("ISO 8601")),
        "{error}"
    );
    assert!(
        error.errors.contains_key("items.0.metadata.due_date"),
        "{:?}",
        error.errors
    );
    assert_eq!(emulator.item_count(), 0);
    assert_eq!(emulator.requests().len(), 1, "a 422 is not retried");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_refused_once_without_retries() {
    let emulator = support::start(support::emulator()).await;
    let client = support::build(
        Client::builder()
            .api_key(format!("{KEY}-wrong"))
            .base_url(emulator.base_url()),
    );

    let error = invoice(1).upsert(&client).await.err();
    let error = error.unwrap_or_else(|| panic!("a wrong key must fail"));
    assert_eq!(error.status(), Some(401));
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("Unauthenticated."), "{error}");
    assert_eq!(emulator.requests().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_empty_id_is_a_typed_error_and_is_never_sent() {
    #[derive(Vectorify)]
    #[vectorify(collection = "notes")]
    struct Note {
        #[vectorify(id)]
        slug: String,
        text: String,
    }

    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let note = Note {
        slug: String::new(),
        text: "no id".into(),
    };
    match note.upsert(&client).await {
        Err(Error::EmptyId {
            collection,
            position,
        }) => {
            assert_eq!((collection, position), ("notes", 0));
        }
        other => panic!("expected an empty id error, got {other:?}"),
    }
    assert!(emulator.requests().is_empty());
    emulator.shutdown().await;
}
