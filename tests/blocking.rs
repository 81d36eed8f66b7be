//! The blocking client over real HTTP against the emulator, from plain
//! threads with no runtime of their own, and from inside async code.

use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use vectorify_core::{
    Error, MetadataType, MetadataValue, Question, RetryPolicy, UpsertStatus, Vectorify, blocking,
};
use vectorify_emulator::Emulator;

const KEY: &str = "blocking-test-key-93a0d4";

/// A date as text; the collection declares it `datetime`, so a value that is
/// not ISO 8601 makes the API refuse its item.
#[derive(Clone, Debug, Serialize)]
struct Day(String);

impl MetadataValue for Day {
    fn metadata_type() -> MetadataType {
        MetadataType::Datetime
    }

    fn serialize_value<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[derive(Clone, Debug, Vectorify)]
#[vectorify(collection = "invoices")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    #[vectorify(metadata)]
    due_date: Day,
    amount: String,
    #[vectorify(tenant)]
    tenant: u64,
}

fn invoice(id: u64) -> Invoice {
    Invoice {
        id,
        customer_name: format!("Customer {}", id % 7),
        due_date: Day(format!("2024-03-{:02}", id % 28 + 1)),
        amount: format!("{}.00", id * 3),
        tenant: 987,
    }
}

fn invalid(id: u64) -> Invoice {
    Invoice {
        due_date: Day("next tuesday".into()),
        ..invoice(id)
    }
}

/// The emulator, served by a runtime of the test's own: the code under test
/// runs none.
struct Server {
    emulator: Emulator,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    fn start() -> Server {
        let runtime = ok(tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build());
        let emulator = ok(runtime.block_on(
            Emulator::builder()
                .api_key(KEY)
                .processing_time(Duration::ZERO)
                .start(),
        ));
        Server {
            emulator,
            _runtime: runtime,
        }
    }

    fn client(&self) -> blocking::Client {
        ok(vectorify_core::Client::builder()
            .api_key(KEY)
            .base_url(self.emulator.base_url())
            .retry_policy(
                RetryPolicy::default()
                    .initial_backoff(Duration::from_millis(2))
                    .max_backoff(Duration::from_millis(40)),
            )
            .build_blocking())
    }
}

fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("expected success, got: {error}"),
    }
}

#[test]
fn upserts_one_item_and_returns_the_receipt() {
    let server = Server::start();
    let client = server.client();

    let receipt = ok(client.upsert(&invoice(123)));

    assert_eq!(receipt.result, Some(UpsertStatus::Queued));
    assert!(receipt.created_at.is_some());
    let stored = server.emulator.item("invoices", Some(987), "123");
    assert_eq!(
        stored.map(|item| item.data["amount"].clone()),
        Some("369.00".into())
    );
}

#[test]
fn upsert_all_names_exactly_the_items_refused_and_stores_the_rest() {
    let server = Server::start();
    let client = server.client();
    let invoices: Vec<Invoice> = (1..=300)
        .map(|id| {
            if id % 50 == 0 {
                invalid(id)
            } else {
                invoice(id)
            }
        })
        .collect();

    let error = client.upsert_all(&invoices).run().err();

    let error = error.unwrap_or_else(|| panic!("six invoices are invalid"));
    assert_eq!(
        error.failed_ids(),
        ["50", "100", "150", "200", "250", "300"]
    );
    match &error {
        Error::Upsert(failure) => assert_eq!(failure.report().items, 294),
        other => panic!("expected the account of a bulk upsert, got {other:?}"),
    }
    assert_eq!(server.emulator.item_count(), 294);
}

#[test]
fn upsert_all_reports_progress_on_the_calling_thread() {
    let server = Server::start();
    let client = server.client();
    let invoices: Vec<Invoice> = (1..=200).map(invoice).collect();
    let caller = std::thread::current().id();
    let done = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&done);

    let report = ok(client
        .upsert_all(&invoices)
        .on_progress(move |progress| {
            assert_eq!(std::thread::current().id(), caller);
            seen.store(progress.done(), Ordering::SeqCst);
        })
        .run());

    assert_eq!((report.items, report.batches), (200, 3));
    assert_eq!(done.load(Ordering::SeqCst), 200);
}

#[test]
fn upsert_iter_reads_an_iterator_that_is_not_send() {
    let server = Server::start();
    let client = server.client();
    // Like a database cursor that borrows its connection: not Send.
    let cursor = Rc::new(());
    let rows = (1..=250).map(move |id| {
        let _connection = Rc::clone(&cursor);
        invoice(id)
    });

    let report = ok(client.upsert_iter(rows).total(250).run());

    assert_eq!(report.items, 250);
    assert_eq!(server.emulator.item_count(), 250);
}

#[test]
fn upsert_try_iter_stops_at_the_first_error_and_accounts_for_what_was_read() {
    let server = Server::start();
    let client = server.client();
    let rows = (1..=120).map(|id| {
        if id == 101 {
            Err(std::io::Error::other("the cursor broke"))
        } else {
            Ok(invoice(id))
        }
    });

    let error = client.upsert_try_iter(rows).run().err();

    match error {
        Some(Error::Upsert(failure)) => {
            assert_eq!(failure.report().items, 100);
            assert!(failure.failed_ids().is_empty());
            let input_error = failure.input_error().map(ToString::to_string);
            assert_eq!(input_error.as_deref(), Some("the cursor broke"));
        }
        other => panic!("expected the input's error with the account, got {other:?}"),
    }
    assert_eq!(server.emulator.item_count(), 100);
}

#[test]
fn questions_history_and_chats_work_without_a_runtime() {
    let server = Server::start();
    let client = server.client();
    for id in 1..=3 {
        ok(client.upsert(&invoice(id)));
    }

    let question = Question::new("what does Customer 2 owe?").collection::<Invoice>();
    let answer = ok(client.query(&question));
    assert!(answer.text.contains("invoices/2"), "{}", answer.text);

    let history: Vec<_> = ok(client.upsert_history().per_page(2).items().collect());
    let ids: Vec<&str> = history.iter().map(|upsert| upsert.id.as_str()).collect();
    assert_eq!(ids, ["3", "2", "1"]);
    let pages = client.upsert_history().per_page(2).pages().count();
    assert_eq!(pages, 2);
    assert_eq!(
        ok(client.fetch_upsert(1)).status,
        Some(UpsertStatus::Completed)
    );

    let chat = ok(client.create_chat(&question));
    let follow_up = ok(client.send_message(&chat.id, "and Customer 3?"));
    assert!(follow_up.text.contains("invoices/3"), "{}", follow_up.text);
    ok(client.chat_feedback(&chat.id, "good"));
    let rated = ok(client.message_feedback(&chat.id, &follow_up.id, "spot on"));
    assert_eq!(rated.feedback.as_deref(), Some("spot on"));
    assert_eq!(
        ok(client.chat_message(&chat.id, &follow_up.id)).text,
        follow_up.text
    );
    assert_eq!(ok(client.chat(&chat.id)).messages.len(), 4);
    // The query opened a chat too.
    assert_eq!(ok(client.chats().page(1)).data.len(), 2);
}

#[test]
fn clones_work_from_many_threads_at_once() {
    let server = Server::start();
    let client = server.client();

    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let client = client.clone();
            scope.spawn(move || {
                let invoices: Vec<Invoice> =
                    (1..=100).map(|id| invoice(thread * 1000 + id)).collect();
                ok(client.upsert_all(&invoices).run());
            });
        }
    });

    assert_eq!(server.emulator.item_count(), 400);
}

#[test]
fn a_client_works_and_drops_inside_async_code_without_panicking() {
    let server = Server::start();
    let client = server.client();
    let runtime = ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build());

    runtime.block_on(async {
        // As advised: inside spawn_blocking.
        let inside = client.clone();
        let receipt = tokio::task::spawn_blocking(move || inside.upsert(&invoice(1))).await;
        ok(ok(receipt));

        // Called straight from a task, it blocks that task's thread, and
        // works: the client's own runtime does the I/O.
        let invoices: Vec<Invoice> = (2..=200).map(invoice).collect();
        ok(client.upsert_all(&invoices).run());

        // The last clone dropped in async code stops the client's runtime
        // on its own thread.
        drop(client);
    });

    assert_eq!(server.emulator.item_count(), 200);
}

#[test]
fn a_wrong_key_is_an_api_error_that_does_not_show_the_key() {
    let server = Server::start();
    let client = ok(vectorify_core::Client::builder()
        .api_key("not-the-key-55b2e0")
        .base_url(server.emulator.base_url())
        .build_blocking());

    let error = client.upsert(&invoice(1)).err();
    let error = error.unwrap_or_else(|| panic!("a wrong key must be refused"));
    assert_eq!(error.status(), Some(401));
    for shown in [
        format!("{error}"),
        format!("{error:?}"),
        format!("{client:?}"),
    ] {
        assert!(!shown.contains("not-the-key-55b2e0"), "{shown}");
    }
}
