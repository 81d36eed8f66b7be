//! The streaming form: items from a `Stream`, memory bounded by the batches
//! in flight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use futures_util::stream;

use crate::support::{self, invoice};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_owned_items_reading_only_as_fast_as_batches_leave() {
    let emulator = support::start(support::emulator()).await;
    let in_flight = 3;
    let client = support::build(support::builder(&emulator).max_in_flight(in_flight));

    // Items made one by one as the client asks, like rows from a cursor.
    let produced = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&produced);
    let rows = stream::iter(1..=4_000u64).map(move |id| {
        counter.fetch_add(1, Ordering::SeqCst);
        invoice(id)
    });

    let most_ahead = Arc::new(AtomicU64::new(0));
    let watch = (Arc::clone(&produced), Arc::clone(&most_ahead));
    let report = client
        .upsert_stream(rows)
        .total(4_000)
        .on_progress(move |progress| {
            let ahead = watch.0.load(Ordering::SeqCst) - progress.done();
            watch.1.fetch_max(ahead, Ordering::SeqCst);
        })
        .await;
    let report = support::ok(report);

    assert_eq!(report.items, 4_000);
    assert_eq!(emulator.item_count(), 4_000);
    let expected: Vec<_> = (1..=4_000).map(invoice).collect();
    support::assert_stored_exactly(&emulator, &support::all(&expected));

    // At most the batches in flight and the one being written were read
    // ahead of what the API had taken.
    let bound = (in_flight as u64 + 1) * 90;
    let ahead = most_ahead.load(Ordering::SeqCst);
    assert!(ahead <= bound, "{ahead} items read ahead, bound {bound}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_stream_that_borrows_works_too() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let ids: Vec<u64> = (1..=200).collect();

    let rows = stream::iter(ids.iter()).map(|&id| invoice(id));
    let report = support::ok(client.upsert_stream(rows).await);

    assert_eq!(report.items, 200);
    assert_eq!(emulator.item_count(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_failing_stream_stops_the_reading_and_what_was_read_is_accounted_for() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    // Rows as a database driver yields them; the cursor breaks at row 251.
    let rows = stream::iter(1..=1_000u64).map(|id| {
        if id == 251 {
            Err(std::io::Error::other("the cursor was closed"))
        } else {
            Ok(invoice(id))
        }
    });
    let error = client.upsert_try_stream(rows).await.err();
    let error = error.unwrap_or_else(|| panic!("the input failed"));

    let vectorify_core::Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    let input_error = upsert.input_error().map(ToString::to_string);
    assert_eq!(input_error.as_deref(), Some("the cursor was closed"));
    assert!(
        error.failed_ids().is_empty(),
        "every item read was accepted"
    );
    assert_eq!(upsert.report().items, 250);
    assert!(
        error.to_string().contains("the cursor was closed"),
        "{error}"
    );

    let read: Vec<_> = (1..=250).map(invoice).collect();
    support::assert_stored_exactly(&emulator, &support::all(&read));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_stream_of_results_without_errors_is_upserted_whole() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    let rows = stream::iter(1..=300u64).map(|id| Ok::<_, std::io::Error>(invoice(id)));
    let report = support::ok(client.upsert_try_stream(rows).await);

    assert_eq!(report.items, 300);
    assert_eq!(emulator.item_count(), 300);
    emulator.shutdown().await;
}
