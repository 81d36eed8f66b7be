//! Each fault the emulator injects, alone and mixed: after the run, every
//! item is stored exactly as sent.

use std::time::{Duration, Instant};

use vectorify_core::{Error, RetryPolicy, Vectorify};
use vectorify_emulator::{FaultKind, Faults};

use crate::support::{self, all, invoices};

/// Runs `count` invoices through faults, checks every item is stored exactly
/// as sent, and returns how many requests met each fault.
async fn survives(faults: Faults, count: u64) -> (vectorify_core::UpsertReport, Vec<FaultKind>) {
    let emulator = support::start(support::emulator().faults(faults)).await;
    let client = support::client(&emulator);
    let invoices = invoices(count);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!(report.items, count);
    support::assert_stored_exactly(&emulator, &all(&invoices));
    let faults: Vec<FaultKind> = emulator.requests().iter().filter_map(|r| r.fault).collect();
    assert!(
        report.retries as usize >= faults.len(),
        "a retry for every fault met"
    );
    emulator.shutdown().await;
    (report, faults)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_server_errors_until_every_item_is_stored() {
    let (_, faults) = survives(Faults::none().seed(1).server_errors(0.3), 2_000).await;
    assert!(
        faults
            .iter()
            .filter(|f| **f == FaultKind::ServerError)
            .count()
            >= 3,
        "{faults:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_after_429_honouring_retry_after() {
    let started = Instant::now();
    let (report, faults) = survives(Faults::none().seed(2).rate_limited(0.15), 1_000).await;
    assert!(faults.contains(&FaultKind::RateLimited), "{faults:?}");
    // The injected 429s ask for one second; the run waited at least that.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(report.waited >= Duration::from_secs(1), "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_dropped_connections() {
    let (_, faults) = survives(Faults::none().seed(3).dropped_connections(0.3), 2_000).await;
    assert!(faults.contains(&FaultKind::DroppedConnection), "{faults:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_responses_lost_after_the_write_without_duplicating_items() {
    let (_, faults) = survives(Faults::none().seed(4).lost_responses(0.3), 2_000).await;
    assert!(faults.contains(&FaultKind::LostResponse), "{faults:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_every_fault_mixed_with_latency() {
    let faults = Faults::none()
        .seed(5)
        .server_errors(0.10)
        .rate_limited(0.03)
        .dropped_connections(0.10)
        .lost_responses(0.10)
        .latency(Duration::from_millis(2))
        .latency_jitter(Duration::from_millis(3));
    let (_, met) = survives(faults, 3_000).await;
    assert!(met.len() >= 5, "{met:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_the_last_attempt_and_names_every_item() {
    let emulator =
        support::start(support::emulator().faults(Faults::none().server_errors(1.0))).await;
    let client = support::build(
        support::builder(&emulator).retry_policy(
            RetryPolicy::default()
                .max_attempts(3)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        ),
    );
    let invoices = invoices(150);

    let error = client.upsert_all(&invoices).await.err();
    let error = error.unwrap_or_else(|| panic!("every attempt fails"));

    let expected: Vec<String> = (1..=150).map(|id| id.to_string()).collect();
    assert_eq!(error.failed_ids(), expected);
    assert_eq!(emulator.requests().len(), 6, "2 batches × 3 attempts");
    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    assert_eq!(upsert.report().items, 0);
    assert!(
        upsert
            .failures()
            .iter()
            .all(|failure| failure.attempts() == 3)
    );
    assert!(
        upsert
            .failures()
            .iter()
            .all(|failure| failure.error().status().is_some_and(|s| s >= 500))
    );
    assert!(error.to_string().starts_with("150 of 150 items"), "{error}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_total_time_for_retries_is_bounded() {
    let emulator =
        support::start(support::emulator().faults(Faults::none().server_errors(1.0))).await;
    let client = support::build(
        support::builder(&emulator).retry_policy(
            RetryPolicy::default()
                .max_attempts(1_000)
                .initial_backoff(Duration::from_millis(20))
                .max_backoff(Duration::from_millis(20))
                .max_elapsed(Duration::from_millis(500)),
        ),
    );

    let error = support::invoice(1).upsert(&client).await.err();

    assert!(error.is_some_and(|error| error.is_retryable()));
    let attempts = emulator.requests().len();
    assert!(
        (2..=60).contains(&attempts),
        "{attempts} attempts in 500 ms of 10-20 ms waits"
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_requests_that_time_out() {
    // A third of the requests take longer than the client waits.
    let faults = Faults::none()
        .seed(6)
        .latency_jitter(Duration::from_millis(300));
    let emulator = support::start(support::emulator().faults(faults)).await;
    let client = support::build(
        support::builder(&emulator)
            .timeout(Duration::from_millis(200))
            .retry_policy(support::quick_retries().max_attempts(20)),
    );
    let invoices = invoices(450);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!(report.items, 450);
    assert!(report.retries > 0, "{report:?}");
    support::assert_stored_exactly(&emulator, &all(&invoices));
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_request_that_outlasts_the_timeout_is_a_timeout_error() {
    let faults = Faults::none().latency(Duration::from_millis(500));
    let emulator = support::start(support::emulator().faults(faults)).await;
    let client = support::build(
        support::builder(&emulator)
            .timeout(Duration::from_millis(50))
            .retry_policy(RetryPolicy::no_retries()),
    );

    let error = support::invoice(1).upsert(&client).await.err();

    assert!(matches!(error, Some(Error::Timeout(_))), "{error:?}");
    emulator.shutdown().await;
}
