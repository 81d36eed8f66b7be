//! Many items: `client.upsert_all(&invoices)`.

use vectorify_core::MAX_BATCH_SIZE;

use crate::support::{self, all, invoices};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_run_of_thousands_stores_every_item_in_batches_of_at_most_90() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let invoices = invoices(5_000);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!(report.items, 5_000);
    assert_eq!(report.batches, 56); // 55 × 90 + 50
    assert_eq!(report.requests, 56);
    assert_eq!(report.retries, 0);
    support::assert_stored_exactly(&emulator, &all(&invoices));

    let requests = emulator.requests();
    assert_eq!(requests.len(), 56);
    assert!(
        requests
            .iter()
            .all(|r| r.items <= MAX_BATCH_SIZE && r.status == Some(201))
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_size_can_be_set_lower() {
    let emulator = support::start(support::emulator()).await;
    let client = support::build(support::builder(&emulator).batch_size(25).max_in_flight(3));
    let invoices = invoices(260);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!((report.items, report.batches), (260, 11));
    let sizes: Vec<usize> = emulator.requests().iter().map(|r| r.items).collect();
    assert!(sizes.iter().all(|&size| size <= 25), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 260);
    emulator.shutdown().await;
}

#[tokio::test]
async fn upsert_all_takes_any_iterator_of_references() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let invoices = invoices(300);

    let paid = invoices.iter().filter(|invoice| invoice.id % 3 == 2);
    let report = support::ok(client.upsert_all(paid).await);

    assert_eq!(report.items, 100);
    let expected: Vec<_> = invoices
        .iter()
        .filter(|invoice| invoice.id % 3 == 2)
        .collect();
    support::assert_stored_exactly(&emulator, &expected);
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_empty_input_sends_nothing() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let none: Vec<support::Invoice> = Vec::new();

    let report = support::ok(client.upsert_all(&none).await);

    assert_eq!((report.items, report.batches, report.requests), (0, 0, 0));
    assert!(emulator.requests().is_empty());
    emulator.shutdown().await;
}

#[tokio::test]
async fn batches_too_large_for_the_api_are_split_and_a_lone_item_too_large_fails_by_id() {
    let emulator = support::start(support::emulator().max_body_bytes(24 * 1024)).await;
    let client = support::client(&emulator);
    let mut invoices = invoices(400);
    // Each item is about 1 KiB: 90 of them are far past the limit.
    for invoice in &mut invoices {
        invoice.notes = "n".repeat(900);
    }
    invoices[123].notes = "x".repeat(40 * 1024);

    let error = client.upsert_all(&invoices).await.err();
    let error = error.unwrap_or_else(|| panic!("the huge item must fail"));

    assert_eq!(error.failed_ids(), ["124"]);
    match &error {
        vectorify_core::Error::Upsert(upsert) => {
            assert!(matches!(
                upsert.failures()[0].error(),
                vectorify_core::Error::ItemTooLarge { id, .. } if id == "124"
            ));
            assert!(upsert.report().splits > 0);
            assert_eq!(upsert.report().items, 399);
        }
        other => panic!("expected an upsert error, got {other:?}"),
    }
    let others: Vec<_> = invoices
        .iter()
        .filter(|invoice| invoice.id != 124)
        .collect();
    support::assert_stored_exactly(&emulator, &others);
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_runs_are_futures_that_can_run_side_by_side() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let first = invoices(500);
    let second: Vec<_> = (501..=1_000).map(support::invoice).collect();

    let (a, b) =
        futures_util::future::join(client.upsert_all(&first), client.upsert_all(&second)).await;

    assert_eq!((support::ok(a).items, support::ok(b).items), (500, 500));
    let both: Vec<_> = first.iter().chain(&second).collect();
    support::assert_stored_exactly(&emulator, &both);
    emulator.shutdown().await;
}
