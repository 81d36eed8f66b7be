//! Bulk throughput: `Client::upsert_all` against the emulator, next to the
//! one-batch-at-a-time loop that the vendor's Laravel package runs (chunks
//! of 90, each request sent once the previous one has been answered).
//!
//! - `latency_20ms`: every request waits 20 ms in the emulator, as a request
//!   to a distant API would. `upsert_all` runs with 1, 2, 4, 8 (the default)
//!   and 16 batches in flight; `sequential_loop` is the Laravel way written
//!   by hand with reqwest. With n batches in flight, near-perfect pipelining
//!   means n times the loop's items per second. `hand_written_concurrent`
//!   sends the same bodies with reqwest, n at a time and nothing else (no
//!   retries, no pacing, no account): the most this machine allows at n in
//!   flight, for `upsert_all` to be held against.
//! - `no_latency`: the same with no added latency, to show what the client
//!   costs next to writing the payloads (the `payload` benchmark's items per
//!   second).
//!
//! The emulator runs in this process on a runtime of its own, as a server
//! would run apart from its clients. Reading and storing a 90-item body
//! costs it about as much CPU as writing the body costs the client; on a
//! small machine, with many requests answered at once, that shared CPU is
//! what keeps many batches in flight from a perfect n times the loop.
//!
//! Each iteration upserts the same 4,320 items (48 full batches, a whole
//! number of rounds for each in-flight setting) into an emulator that
//! already holds them, so the store does not grow from one sample to the
//! next.
//!
//! ```sh
//! cargo bench -p vectorify-core --bench upsert_throughput
//! ```
//!
//! Instructions per request, the client's and the emulator's apart (48
//! requests a round; `FAST` takes one round to fill):
//!
//! ```sh
//! cargo bench -p vectorify-core --bench upsert_throughput --no-run
//! for rounds in 2 12; do
//!     THROUGHPUT_PROFILE=$rounds valgrind --tool=callgrind --separate-threads=yes \
//!         --callgrind-out-file=callgrind.$rounds.%p target/release/deps/upsert_throughput-<hash>
//! done
//! ```

use std::sync::LazyLock;
use std::time::Duration;

use divan::Bencher;
use divan::counter::ItemsCount;
use futures_util::stream::{self, StreamExt};
use serde::{Serialize, Serializer};
use tokio::runtime::Runtime;
use vectorify_core::{Client, Collection, Vectorify};
use vectorify_emulator::{Emulator, Faults};

mod seed;

use seed::Invoice;

/// Items per upsert: 48 batches of 90.
const ITEMS: usize = 48 * 90;

/// What the emulator adds to every request in `latency_20ms`.
const LATENCY: Duration = Duration::from_millis(20);

/// The batches in flight that `upsert_all` is measured with.
const IN_FLIGHT: [usize; 5] = [1, 2, 4, 8, 16];

fn main() {
    // `THROUGHPUT_PROFILE=<rounds>` runs `upsert_all` of every invoice
    // (8 in flight, no latency) that many times and exits, for a profiler:
    // under `valgrind --tool=callgrind --separate-threads=yes` the client's
    // threads ("client") and the emulator's ("emulator") are counted apart,
    // and the difference between two round counts, divided by the requests
    // between them, is each side's instructions per request.
    if let Ok(rounds) = std::env::var("THROUGHPUT_PROFILE") {
        let rounds: usize = rounds
            .parse()
            .expect("THROUGHPUT_PROFILE is a number of rounds");
        let client = client(&FAST, 8);
        for _ in 0..rounds {
            RUNTIME
                .block_on(client.upsert_all(INVOICES.iter()))
                .expect("every invoice is accepted");
        }
        return;
    }
    divan::main();
}

/// The runtime the clients run on: two worker threads, one per core of the
/// machine the figures come from.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| runtime("client"));

/// The emulators' own runtime, so that the server's work does not queue
/// behind the clients' tasks or the other way round.
static SERVER: LazyLock<Runtime> = LazyLock::new(|| runtime("emulator"));

fn runtime(name: &str) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a Tokio runtime")
}

static INVOICES: LazyLock<Vec<Invoice>> =
    LazyLock::new(|| (1..=ITEMS as u64).map(seed::invoice).collect());

/// An emulator with this latency per request, already holding every invoice.
fn emulator(latency: Duration) -> Emulator {
    let emulator = SERVER
        .block_on(
            Emulator::builder()
                .faults(Faults::none().latency(latency))
                .request_log_limit(0)
                .start(),
        )
        .expect("the emulator starts");
    RUNTIME
        .block_on(client(&emulator, 8).upsert_all(INVOICES.iter()))
        .expect("the emulator takes every invoice");
    assert_eq!(emulator.item_count(), ITEMS);
    emulator
}

static SLOW: LazyLock<Emulator> = LazyLock::new(|| emulator(LATENCY));
static FAST: LazyLock<Emulator> = LazyLock::new(|| emulator(Duration::ZERO));

fn client(emulator: &Emulator, in_flight: usize) -> Client {
    Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .max_in_flight(in_flight)
        .build()
        .expect("a client for the emulator")
}

/// One `upsert_all` of every invoice per iteration.
fn bench_upsert_all(bencher: Bencher, emulator: &Emulator, in_flight: usize) {
    let client = client(emulator, in_flight);
    bencher.counter(ItemsCount::new(ITEMS)).bench_local(|| {
        let report = RUNTIME
            .block_on(client.upsert_all(INVOICES.iter()))
            .expect("every invoice is accepted");
        assert_eq!(report.items, ITEMS as u64);
    });
}

/// The Laravel package's loop, by hand: a chunk of 90, one POST, wait for
/// the answer, the next chunk.
fn bench_sequential_loop(bencher: Bencher, emulator: &Emulator) {
    let http = reqwest::Client::new();
    let collection = Invoice::collection();
    bencher.counter(ItemsCount::new(ITEMS)).bench_local(|| {
        RUNTIME.block_on(async {
            for chunk in INVOICES.chunks(90) {
                post(&http, emulator, &collection, chunk).await;
            }
        });
    });
}

/// The same requests, `in_flight` at a time, with nothing around them.
fn bench_hand_written_concurrent(bencher: Bencher, emulator: &Emulator, in_flight: usize) {
    let http = reqwest::Client::new();
    let collection = Invoice::collection();
    bencher.counter(ItemsCount::new(ITEMS)).bench_local(|| {
        RUNTIME.block_on(
            stream::iter(INVOICES.chunks(90))
                .map(|chunk| post(&http, emulator, &collection, chunk))
                .buffer_unordered(in_flight)
                .collect::<()>(),
        );
    });
}

/// One upsert request of `chunk`, answered 201 and read to the end.
async fn post(
    http: &reqwest::Client,
    emulator: &Emulator,
    collection: &Collection,
    chunk: &[Invoice],
) {
    let body = serde_json::to_vec(&Body {
        collection,
        items: Items(chunk),
    })
    .expect("an invoice always serializes");
    let response = http
        .post(format!("{}upserts", emulator.base_url()))
        .header("Api-Key", emulator.api_key())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .expect("the emulator answers");
    let status = response.status();
    let answer = response.bytes().await.expect("the answer is read");
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
}

#[derive(Serialize)]
struct Body<'a> {
    collection: &'a Collection,
    items: Items<'a>,
}

struct Items<'a>(&'a [Invoice]);

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Vectorify::to_item))
    }
}

/// 20 ms per request: where pipelining pays.
#[divan::bench_group(sample_count = 10, sample_size = 1)]
mod latency_20ms {
    use super::*;

    /// `upsert_all` with this many batches in flight.
    #[divan::bench(args = IN_FLIGHT)]
    fn upsert_all(bencher: Bencher, in_flight: usize) {
        bench_upsert_all(bencher, &SLOW, in_flight);
    }

    /// One batch at a time, as the Laravel package sends them.
    #[divan::bench]
    fn sequential_loop(bencher: Bencher) {
        bench_sequential_loop(bencher, &SLOW);
    }

    /// Bare reqwest requests, this many at a time.
    #[divan::bench(args = IN_FLIGHT)]
    fn hand_written_concurrent(bencher: Bencher, in_flight: usize) {
        bench_hand_written_concurrent(bencher, &SLOW, in_flight);
    }
}

/// No added latency: what is left is the client's and the emulator's work.
#[divan::bench_group(sample_count = 20, sample_size = 1)]
mod no_latency {
    use super::*;

    /// `upsert_all` with this many batches in flight.
    #[divan::bench(args = [1, 8])]
    fn upsert_all(bencher: Bencher, in_flight: usize) {
        bench_upsert_all(bencher, &FAST, in_flight);
    }

    /// One batch at a time, as the Laravel package sends them.
    #[divan::bench]
    fn sequential_loop(bencher: Bencher) {
        bench_sequential_loop(bencher, &FAST);
    }
}
