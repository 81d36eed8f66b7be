//! Progress events of a bulk run.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use vectorify_core::{Progress, ProgressEvent};
use vectorify_emulator::Faults;

use crate::support::{self, invoices};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_up_to_the_total_and_ends_with_finished() {
    let faults = Faults::none()
        .seed(11)
        .server_errors(0.2)
        .latency(Duration::from_millis(1));
    let emulator = support::start(support::emulator().faults(faults)).await;
    let client = support::client(&emulator);
    let invoices = invoices(1_000);

    let seen: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let log = Arc::clone(&seen);
    let report = client
        .upsert_all(&invoices)
        .on_progress(move |progress| {
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(progress.clone());
        })
        .await;
    let report = support::ok(report);

    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert!(seen.iter().all(|progress| progress.total == Some(1_000)));
    assert!(
        seen.windows(2).all(|pair| pair[0].done() <= pair[1].done()),
        "done never goes back"
    );

    let accepted: usize = seen
        .iter()
        .map(|progress| match progress.event {
            ProgressEvent::Accepted { items } => items,
            _ => 0,
        })
        .sum();
    assert_eq!(accepted, 1_000);
    let retrying = seen
        .iter()
        .filter(|progress| matches!(progress.event, ProgressEvent::Retrying { .. }));
    assert_eq!(retrying.count() as u64, report.retries);

    let last = seen.last().unwrap_or_else(|| panic!("no progress at all"));
    assert_eq!(last.event, ProgressEvent::Finished);
    assert_eq!(
        (last.accepted, last.failed, last.batches),
        (1_000, 0, report.batches)
    );
    emulator.shutdown().await;
}
