//! Many workers, one key: 4 clients, each with its own pacer, upsert
//! together into an emulator limited to L requests a second, side by side:
//!
//! - `local`: each client paces itself alone (the default
//!   `InProcessPacer`), from the answers to its own requests;
//! - `redis`: each client paces through Redis, sharing one state, from the
//!   API's answers only;
//! - `redis + rate`: the same, with the rate configured (L a second).
//!
//! For each: the requests the API accepted per second, as a share of L;
//! the 429s met; the items not upserted (a batch gives up after 5 attempts);
//! and the Redis calls per request. The goal for the shared pacers is at
//! least 90% of L with almost no 429s.
//!
//! It needs a Redis server: the one at `VECTORIFY_TEST_REDIS_URL`, else
//! `redis://127.0.0.1:6379/`.
//!
//! ```sh
//! redis-server --port 6379 --daemonize yes --save ''
//! cargo bench -p vectorify-core --features redis --bench redis_pacing
//! ```
//!
//! `VECTORIFY_BENCH_RATE` sets L (40 unless set),
//! `VECTORIFY_BENCH_SECONDS` how long each run should last at L (15 unless
//! set) and `VECTORIFY_BENCH_WINDOW_SECS` the length of the emulator's
//! fixed windows (1 unless set: L requests per 1 s window; with 10, 10·L
//! per 10 s window). Every request carries a batch of 10 small items, so
//! that the machine's cores go to pacing, not to JSON.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use vectorify_core::{Client, Error, RedisPacing, Vectorify};
use vectorify_emulator::{Emulator, RateLimit};

const CLIENTS: usize = 4;
const BATCH: usize = 10;

#[derive(Vectorify)]
#[vectorify(collection = "notes")]
struct Note {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    author: String,
    text: String,
}

#[derive(Clone, Copy)]
enum Mode {
    Local,
    Redis,
    RedisWithRate,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Local => "local",
            Mode::Redis => "redis",
            Mode::RedisWithRate => "redis + rate",
        }
    }
}

struct Outcome {
    elapsed: Duration,
    accepted: usize,
    refused: usize,
    failed_items: u64,
    redis_calls: u64,
}

fn main() {
    let rate: u32 = setting("VECTORIFY_BENCH_RATE", 40);
    let seconds: u32 = setting("VECTORIFY_BENCH_SECONDS", 15);
    let window: u32 = setting("VECTORIFY_BENCH_WINDOW_SECS", 1);
    let redis_url = std::env::var("VECTORIFY_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    if let Err(error) = redis_calls(&redis_url) {
        eprintln!(
            "no Redis answers at {redis_url} ({error}): start one with \
             `redis-server --port 6379 --daemonize yes --save ''` or set VECTORIFY_TEST_REDIS_URL"
        );
        std::process::exit(2);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let batches = (rate * seconds) as usize;
    let notes: Arc<Vec<Note>> = Arc::new(
        (1..=(batches * BATCH) as u64)
            .map(|id| Note {
                id,
                author: format!("author {}", id % 7),
                text: format!("note {id}"),
            })
            .collect(),
    );

    println!(
        "{CLIENTS} clients, {batches} batches of {BATCH} items, against L = {rate} requests/s \
         ({} per fixed {window} s window)\n",
        rate * window
    );
    println!(
        "| pacing | elapsed | accepted requests/s | share of L | 429s | items not upserted | Redis calls per request |"
    );
    println!("|---|---|---|---|---|---|---|");
    for mode in [Mode::Local, Mode::Redis, Mode::RedisWithRate] {
        let limit = RateLimit::new(rate * window, Duration::from_secs(window.into()));
        let outcome = runtime.block_on(run(mode, limit, &redis_url, Arc::clone(&notes)));
        let per_second = outcome.accepted as f64 / outcome.elapsed.as_secs_f64();
        let redis_calls = match mode {
            Mode::Local => "-".to_owned(),
            _ => format!(
                "{:.1}",
                outcome.redis_calls as f64 / (outcome.accepted + outcome.refused).max(1) as f64
            ),
        };
        println!(
            "| {} | {:.1} s | {:.1} | {:.0}% | {} | {} | {} |",
            mode.name(),
            outcome.elapsed.as_secs_f64(),
            per_second,
            per_second * 100.0 / f64::from(rate),
            outcome.refused,
            outcome.failed_items,
            redis_calls,
        );
    }
}

async fn run(mode: Mode, limit: RateLimit, redis_url: &str, notes: Arc<Vec<Note>>) -> Outcome {
    let emulator = Emulator::builder()
        .rate_limit(limit)
        .processing_time(Duration::ZERO)
        .start()
        .await
        .expect("the emulator starts");
    // A prefix of its own, so that no state from an earlier run helps.
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    let prefix = format!("vectorify-bench:{nanos}");

    let calls_before = redis_calls(redis_url).unwrap_or(0);
    let started = Instant::now();
    let share = notes.len() / CLIENTS;
    let mut runs = Vec::new();
    for worker in 0..CLIENTS {
        let mut builder = Client::builder()
            .api_key(emulator.api_key())
            .base_url(emulator.base_url())
            .batch_size(BATCH);
        builder = match mode {
            Mode::Local => builder,
            Mode::Redis => builder.redis_pacing(RedisPacing::new(redis_url).prefix(&prefix)),
            Mode::RedisWithRate => builder.redis_pacing(
                RedisPacing::new(redis_url)
                    .prefix(&prefix)
                    .rate(limit.limit(), limit.window()),
            ),
        };
        let client = builder.build().expect("the client builds");
        let notes = Arc::clone(&notes);
        runs.push(tokio::spawn(async move {
            let mine = &notes[worker * share..(worker + 1) * share];
            match client.upsert_all(mine).await {
                Ok(_) => 0,
                Err(Error::Upsert(error)) => error.failed_ids().len() as u64,
                Err(error) => panic!("the run failed: {error}"),
            }
        }));
    }
    let mut failed_items = 0;
    for run in runs {
        failed_items += run.await.expect("a run panicked");
    }
    let elapsed = started.elapsed();
    let redis_calls = redis_calls(redis_url).unwrap_or(0) - calls_before;

    let requests = emulator.requests();
    let accepted = requests
        .iter()
        .filter(|request| request.status == Some(201))
        .count();
    let refused = requests
        .iter()
        .filter(|request| request.status == Some(429))
        .count();
    emulator.shutdown().await;
    Outcome {
        elapsed,
        accepted,
        refused,
        failed_items,
        redis_calls,
    }
}

/// The scripts Redis has run so far (`EVALSHA` and `EVAL`).
fn redis_calls(url: &str) -> Result<u64, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_connection_with_timeout(Duration::from_secs(2))?;
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut connection)?;
    Ok(stats
        .lines()
        .filter(|line| line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:"))
        .filter_map(|line| {
            let calls = line.split("calls=").nth(1)?;
            calls.split(',').next()?.parse::<u64>().ok()
        })
        .sum())
}

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|value| *value > 0)
        .unwrap_or(default)
}
