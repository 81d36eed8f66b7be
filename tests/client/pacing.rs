//! Pacing under the API's rate limit: the run slows down before the limit
//! instead of meeting 429s.

use std::time::Duration;

use vectorify_core::NoPacing;
use vectorify_emulator::RateLimit;

use crate::support::{self, all, invoices};

async fn run_under_a_rate_limit(paced: bool) -> usize {
    let limit = RateLimit::new(12, Duration::from_millis(1_000));
    let emulator = support::start(support::emulator().rate_limit(limit)).await;
    let mut builder = support::builder(&emulator).batch_size(10).max_in_flight(6);
    if !paced {
        builder = builder.pacer(NoPacing);
    }
    let client = support::build(builder);
    let invoices = invoices(300);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!(report.items, 300);
    support::assert_stored_exactly(&emulator, &all(&invoices));
    let refused = emulator
        .requests()
        .iter()
        .filter(|r| r.status == Some(429))
        .count();
    emulator.shutdown().await;
    refused
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_keeps_429s_down_under_a_rate_limit() {
    // 30 batches at 12 a second: without pacing, each window's surplus meets
    // a 429; with it, the run waits for the window before the limit.
    let paced = run_under_a_rate_limit(true).await;
    assert!(paced <= 2, "{paced} requests refused with pacing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_pacing_the_same_run_meets_429s() {
    let unpaced = run_under_a_rate_limit(false).await;
    assert!(unpaced >= 3, "{unpaced} requests refused without pacing");
}
