//! The server goes away in the middle of a bulk run: once it is back and
//! retries succeed, nothing is lost; when it stays away, the error names
//! exactly the items that are not stored.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use vectorify_core::{Client, Error, RetryPolicy, UpsertReport};
use vectorify_emulator::{Emulator, Faults};

use crate::support::{self, Invoice, all, invoices};

/// Slow enough answers that the run is still going when the server stops.
fn slow() -> Faults {
    Faults::none().latency(Duration::from_millis(30))
}

/// Starts `invoices` upserting in a task of their own, two batches at a time.
fn spawn_run(
    client: Client,
    invoices: Arc<Vec<Invoice>>,
) -> JoinHandle<Result<UpsertReport, Error>> {
    tokio::spawn(async move { client.upsert_all(invoices.iter()).await })
}

/// Waits until the emulator has answered `count` requests.
async fn wait_for_requests(emulator: &Emulator, count: u64) {
    let waited = tokio::time::timeout(Duration::from_secs(30), async {
        while emulator.request_count() < count {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "the run never reached {count} requests");
}

/// A bulk run of 3,000 invoices against a slow emulator, two batches at a
/// time, once the emulator has answered four of its requests.
struct Running {
    emulator: Emulator,
    store: vectorify_emulator::Store,
    invoices: Arc<Vec<Invoice>>,
    run: JoinHandle<Result<UpsertReport, Error>>,
}

async fn start_run(retry_policy: RetryPolicy) -> Running {
    let emulator = support::start(support::emulator().faults(slow())).await;
    let store = emulator.store();
    let client = support::build(
        support::builder(&emulator)
            .max_in_flight(2)
            .retry_policy(retry_policy),
    );
    let invoices = Arc::new(invoices(3_000));

    let run = spawn_run(client, Arc::clone(&invoices));
    wait_for_requests(&emulator, 4).await;
    Running {
        emulator,
        store,
        invoices,
        run,
    }
}

async fn finished(run: JoinHandle<Result<UpsertReport, Error>>) -> Result<UpsertReport, Error> {
    match tokio::time::timeout(Duration::from_secs(60), run).await {
        Ok(Ok(result)) => result,
        Ok(Err(error)) => panic!("the run's task failed: {error}"),
        Err(_) => panic!("the run did not end within a minute"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_server_stops_mid_run_and_comes_back() {
    let Running {
        emulator,
        store,
        invoices,
        run,
    } = start_run(
        RetryPolicy::default()
            .max_attempts(100)
            .initial_backoff(Duration::from_millis(20))
            .max_backoff(Duration::from_millis(100))
            .max_elapsed(Duration::from_secs(60)),
    )
    .await;
    let port = emulator.addr().port();
    emulator.shutdown().await;
    // Down long enough that every batch in flight meets a refused connection.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let emulator = support::start(support::emulator().store(store).port(port).faults(slow())).await;
    let report = support::ok(finished(run).await);

    assert_eq!(report.items, 3_000);
    assert!(report.retries > 0, "the downtime was met: {report:?}");
    support::assert_stored_exactly(&emulator, &all(&invoices));
    emulator.shutdown().await;
}

/// The ids of `invoices` the store does not hold, in input order.
fn not_stored(emulator_store: &vectorify_emulator::Store, invoices: &[Invoice]) -> Vec<String> {
    invoices
        .iter()
        .filter(|invoice| {
            let tenant = i64::try_from(invoice.tenant).ok();
            emulator_store
                .item("invoices", tenant, &invoice.id.to_string())
                .is_none()
        })
        .map(|invoice| invoice.id.to_string())
        .collect()
}

fn giving_up_soon() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(4)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(20))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_stays_down_the_error_names_exactly_the_items_not_stored() {
    let Running {
        emulator,
        store,
        invoices,
        run,
    } = start_run(giving_up_soon()).await;
    // A graceful stop: requests in flight are answered, then no more.
    emulator.shutdown().await;
    let error = finished(run).await.err();
    let error = error.unwrap_or_else(|| panic!("the server stayed down"));

    let failed: Vec<&str> = error.failed_ids();
    assert_eq!(failed, not_stored(&store, &invoices));
    assert!(
        !failed.is_empty() && failed.len() < 3_000,
        "{}",
        failed.len()
    );
    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    assert_eq!(upsert.report().items as usize + failed.len(), 3_000);
    assert_eq!(store.item_count() + failed.len(), 3_000);
    assert!(
        upsert
            .failures()
            .iter()
            .all(|failure| matches!(failure.error(), Error::Connection(_))),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_server_dies_abruptly_every_item_not_stored_is_named() {
    let Running {
        emulator,
        store,
        invoices,
        run,
    } = start_run(giving_up_soon()).await;
    // Dropped: connections are cut wherever their requests are. A batch
    // stored just before the cut is not acknowledged, so it is named too.
    drop(emulator);
    let error = finished(run).await.err();
    let error = error.unwrap_or_else(|| panic!("the server stayed down"));

    let failed: BTreeSet<&str> = error.failed_ids().into_iter().collect();
    let missing = not_stored(&store, &invoices);
    assert!(
        missing.iter().all(|id| failed.contains(id.as_str())),
        "an item that is not stored is not named"
    );
    assert!(
        failed.len() < 3_000 && !failed.is_empty(),
        "{}",
        failed.len()
    );
    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    assert_eq!(upsert.report().items as usize + failed.len(), 3_000);
}
