//! A long run through every fault at once: 10% 5xx, 5% 429, 5% dropped
//! connections, 5% responses lost after the write, and jittered latency.
//! Every item ends stored exactly as sent, no request carries more than 90
//! items, and the run prints its counts.
//!
//! The short run is part of the normal test command. The full one, 100,000
//! items, is ignored by default; it takes about two minutes, most of them
//! the one-second `Retry-After` of each injected 429, which holds back every
//! batch in flight:
//!
//! ```sh
//! cargo test -p vectorify-core --test reliability -- --ignored --nocapture soak_full
//! ```
//!
//! `SOAK_ITEMS` and `SOAK_SEED` change its size and its faults' seed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use vectorify_core::MAX_BATCH_SIZE;
use vectorify_emulator::{FaultKind, Faults};

use crate::support::{self, all};

fn faults(seed: u64) -> Faults {
    Faults::none()
        .seed(seed)
        .server_errors(0.10)
        .rate_limited(0.05)
        .dropped_connections(0.05)
        .lost_responses(0.05)
        .latency(Duration::from_millis(2))
        .latency_jitter(Duration::from_millis(8))
}

fn from_env(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {value:?}")),
        Err(_) => default,
    }
}

async fn soak(count: u64, seed: u64) {
    let started = Instant::now();
    let emulator = support::start(support::emulator().faults(faults(seed))).await;
    let client = support::client(&emulator);
    let invoices = support::invoices(count);

    let report = support::ok(client.upsert_all(&invoices).await);
    let run_time = started.elapsed();

    assert_eq!(report.items, count);
    support::assert_stored_exactly(&emulator, &all(&invoices));

    let requests = emulator.requests();
    assert_eq!(
        requests.len() as u64,
        emulator.request_count(),
        "every request kept"
    );
    let largest = requests.iter().map(|r| r.items).max().unwrap_or(0);
    assert!(
        largest <= MAX_BATCH_SIZE,
        "a request carried {largest} items"
    );

    let mut met: BTreeMap<String, usize> = BTreeMap::new();
    for request in &requests {
        if let Some(fault) = request.fault {
            *met.entry(fault.to_string()).or_default() += 1;
        }
    }
    let lost = met
        .get(&FaultKind::LostResponse.to_string())
        .copied()
        .unwrap_or(0);
    let faults_met: usize = met.values().sum();
    assert!(
        report.retries as usize >= faults_met,
        "a retry for every fault met: {report:?} {met:?}"
    );
    // Each batch stored once, plus once more for each lost answer at most.
    let upserts = emulator.upserts().len() as u64;
    assert!(upserts >= report.batches && upserts <= report.batches + lost as u64);

    println!(
        "soak: {count} items (seed {seed}) stored exactly as sent in {:.1} s: \
         {} batches, {} requests ({} recorded by the emulator), {} retries, largest request {largest} items, \
         faults met {met:?}, {:.1} s waited (added up over the batches in flight)",
        run_time.as_secs_f64(),
        report.batches,
        report.requests,
        requests.len(),
        report.retries,
        report.waited.as_secs_f64(),
    );
    emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_short_every_item_is_stored_exactly_as_sent_through_every_fault() {
    soak(5_000, 21).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the full soak: 100,000 items, about two minutes; see the module's docs"]
async fn soak_full() {
    soak(from_env("SOAK_ITEMS", 100_000), from_env("SOAK_SEED", 7)).await;
}
