//! Memory of the streaming form: the peak resident memory of a process that
//! upserts 10,000, 100,000 and 1,000,000 invoices through
//! `Client::upsert_stream`, each made only when the client asks for it (as
//! rows from a database cursor would be).
//!
//! The stream's memory should not grow with its length: the client holds
//! the batches in flight and the one being written, whatever the input.
//!
//! Each size runs in a process of its own, this binary started again with
//! `UPSERT_MEMORY_ITEMS` set, which reads its peak (`VmHWM` in
//! `/proc/self/status`) once the upsert is done. The emulator runs in this
//! first process, so its store is not counted. Linux only.
//!
//! ```sh
//! cargo bench -p vectorify-core --bench upsert_memory
//! ```

use std::process::Command;
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use vectorify_core::Client;
use vectorify_emulator::Emulator;

mod seed;

/// The input sizes, smallest first; the first is the reference.
const SIZES: [u64; 3] = [10_000, 100_000, 1_000_000];

const ITEMS_VAR: &str = "UPSERT_MEMORY_ITEMS";
const URL_VAR: &str = "UPSERT_MEMORY_URL";
const KEY_VAR: &str = "UPSERT_MEMORY_KEY";

fn main() {
    match std::env::var(ITEMS_VAR) {
        Ok(items) => upsert(items.parse().expect("a number of items")),
        Err(_) => measure(),
    }
}

/// The first process: an emulator, then one child per size.
fn measure() {
    let runtime = runtime();
    let emulator = runtime.block_on(async {
        Emulator::builder()
            .request_log_limit(0)
            .start()
            .await
            .expect("the emulator starts")
    });

    println!("upsert_stream, peak resident memory of the upserting process:");
    let mut reference = None;
    for items in SIZES {
        let started = Instant::now();
        let output = Command::new(std::env::current_exe().expect("this binary's path"))
            .env(ITEMS_VAR, items.to_string())
            .env(URL_VAR, emulator.base_url())
            .env(KEY_VAR, emulator.api_key())
            .output()
            .expect("the child process runs");
        assert!(
            output.status.success(),
            "the child for {items} items failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let peak_kib: u64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .expect("the child prints its peak in KiB");
        let seconds = started.elapsed().as_secs_f64();

        let reference_kib = *reference.get_or_insert(peak_kib);
        println!(
            "  {items:>9} items  {:>7.1} MiB  {:.2}x of {} items  ({:.1} s, {:.0} items/s)",
            peak_kib as f64 / 1024.0,
            peak_kib as f64 / reference_kib as f64,
            SIZES[0],
            seconds,
            items as f64 / seconds,
        );
    }
    assert_eq!(
        emulator.item_count() as u64,
        SIZES.iter().max().copied().unwrap_or(0),
        "the emulator holds every distinct invoice"
    );
    runtime.block_on(emulator.shutdown());
}

/// A child: upsert `items` invoices from a stream, then print the peak
/// resident memory in KiB.
fn upsert(items: u64) {
    let url = std::env::var(URL_VAR).expect("the emulator's URL");
    let key = std::env::var(KEY_VAR).expect("the emulator's key");
    let client = Client::builder()
        .api_key(key)
        .base_url(url)
        .build()
        .expect("a client for the emulator");

    let report = runtime().block_on(async {
        let invoices = stream::iter(1..=items).map(seed::invoice);
        client.upsert_stream(invoices).await
    });
    let report = report.expect("every invoice is accepted");
    assert_eq!(report.items, items);

    println!("{}", peak_resident_kib());
}

/// Two worker threads, as the throughput benchmark uses.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

/// `VmHWM`: the most resident memory this process has had, in KiB.
fn peak_resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmHWM line in KiB")
}
