//! Pacing shared through Redis, against a real Redis server.
//!
//! The server is the one at `VECTORIFY_TEST_REDIS_URL`, or at
//! `redis://127.0.0.1:6379/` when that is not set. `.ci/run` starts one and
//! sets the variable. With no server reachable these tests fail, saying how
//! to start one: they never pass without having run. To run the rest of the
//! workspace's tests without Redis, leave the `redis` feature out
//! (`cargo test --workspace`, or `--features` with the others).
//!
//! Each test works under a Redis key prefix of its own, so the tests can run
//! in parallel and against a server that holds other data; the keys expire
//! on their own.

use std::io::{self, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use vectorify_core::upsert::{Pace, Pacer, RateLimitSignal, Ticket};
use vectorify_core::{Client, Error, RedisPacer, RedisPacing, Vectorify};
use vectorify_emulator::{Emulator, RateLimit};

const URL_VAR: &str = "VECTORIFY_TEST_REDIS_URL";
const DEFAULT_URL: &str = "redis://127.0.0.1:6379/";

/// The test server's URL; panics with how to start one when none answers.
fn redis_url() -> String {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();
    let checked = URL.get_or_init(|| {
        let url = std::env::var(URL_VAR).unwrap_or_else(|_| DEFAULT_URL.to_owned());
        match ping(&url) {
            Ok(()) => Ok(url),
            Err(error) => Err(format!(
                "the Redis pacing tests need a Redis server, and none answers at {url} ({error}).\n\
                 Start one with `redis-server --port 6379 --daemonize yes` (Debian or Ubuntu: \
                 `apt-get install redis-server`; macOS: `brew install redis`), or set {URL_VAR} \
                 to the URL of one. `.ci/run` installs and starts one itself.\n\
                 To run the other tests without Redis, leave the `redis` feature out: \
                 `cargo test --workspace`, or `--features` with the others."
            )),
        }
    });
    match checked {
        Ok(url) => url.clone(),
        Err(message) => panic!("{message}"),
    }
}

fn ping(url: &str) -> Result<(), redis::RedisError> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_connection_with_timeout(Duration::from_secs(2))?;
    redis::cmd("PING").query::<String>(&mut connection)?;
    Ok(())
}

/// A direct connection to the test server, to look at what the pacers wrote.
fn inspect() -> redis::Connection {
    let url = redis_url();
    redis::Client::open(url.as_str())
        .and_then(|client| client.get_connection_with_timeout(Duration::from_secs(2)))
        .unwrap_or_else(|error| panic!("the test Redis went away: {error}"))
}

/// Pacing through the test server under `prefix`, with room for a loaded
/// machine's slow answers.
fn pacing(prefix: &str) -> RedisPacing {
    RedisPacing::new(redis_url())
        .prefix(prefix)
        .timeout(Duration::from_secs(5))
}

/// A key prefix no other test (or earlier run) uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!("vectorify-test:{test}:{}:{nanos}", std::process::id())
}

fn pacer(api_key: &str, pacing: RedisPacing) -> RedisPacer {
    RedisPacer::new(api_key, pacing).unwrap_or_else(|error| panic!("the pacer builds: {error}"))
}

/// Two pacers for one key, as two processes would have them.
fn two_processes(test: &str, rate: Option<(u32, Duration)>) -> (RedisPacer, RedisPacer) {
    let prefix = unique_prefix(test);
    let pacing = || {
        let pacing = pacing(&prefix);
        match rate {
            Some((requests, per)) => pacing.rate(requests, per),
            None => pacing,
        }
    };
    (pacer("shared-key", pacing()), pacer("shared-key", pacing()))
}

async fn go(pacer: &RedisPacer) -> Ticket {
    match pacer.reserve().await {
        Pace::Go(ticket) => ticket,
        Pace::Wait(wait) => panic!("expected to go, told to wait {wait:?}"),
    }
}

async fn wait(pacer: &RedisPacer) -> Duration {
    match pacer.reserve().await {
        Pace::Wait(wait) => wait,
        Pace::Go(ticket) => panic!("expected to wait, let go with {ticket:?}"),
    }
}

/// An answer that says `remaining` requests are left in a window that ends
/// in a minute.
fn answer(remaining: u64) -> RateLimitSignal {
    let mut signal = RateLimitSignal::default();
    signal.status = Some(201);
    signal.limit = Some(10);
    signal.remaining = Some(remaining);
    let reset = SystemTime::now() + Duration::from_secs(60);
    let epoch = reset
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    signal.reset = Some(SystemTime::UNIX_EPOCH + Duration::from_secs(epoch));
    signal
}

#[tokio::test]
async fn pacers_with_one_key_count_down_one_window() {
    let (a, b) = two_processes("one-window", None);

    let first = go(&a).await;
    a.observe(first, answer(2)).await;

    go(&b).await;
    go(&a).await;
    wait(&b).await;
    wait(&a).await;
}

#[tokio::test]
async fn requests_in_flight_in_other_processes_count_against_an_answer() {
    let (a, b) = two_processes("in-flight", None);

    let first = go(&a).await;
    go(&b).await;
    go(&b).await;
    // The API may have counted only the first: 3 left for it, 1 once the
    // other process's two, still unanswered, are counted.
    a.observe(first, answer(3)).await;

    go(&a).await;
    wait(&b).await;
}

#[tokio::test]
async fn answers_give_back_the_places_their_requests_held() {
    let (a, b) = two_processes("answers-free-places", None);

    let early: Vec<Ticket> = vec![go(&a).await, go(&b).await, go(&a).await];
    let last = go(&b).await;
    // The last to leave arrived first: 6 left, less the 3 still in flight.
    b.observe(last, answer(6)).await;
    for _ in 0..3 {
        go(&a).await;
    }
    wait(&b).await;

    // The others arrived later and say more were left, which changes
    // nothing, but they are out of flight: their places are free.
    for (ticket, remaining) in early.into_iter().zip([9, 8, 7]) {
        a.observe(ticket, answer(remaining)).await;
    }
    go(&b).await;
}

#[tokio::test]
async fn other_api_keys_and_prefixes_do_not_share_state() {
    let prefix = unique_prefix("isolation");
    let used_up = pacer("key-one", pacing(&prefix));
    let other_key = pacer("key-two", pacing(&prefix));
    let other_prefix = pacer("key-one", pacing(&format!("{prefix}:other")));
    assert_ne!(used_up.redis_key(), other_key.redis_key());
    assert_ne!(used_up.redis_key(), other_prefix.redis_key());

    let ticket = go(&used_up).await;
    used_up.observe(ticket, answer(0)).await;
    wait(&used_up).await;

    go(&other_key).await;
    go(&other_prefix).await;
}

#[tokio::test]
async fn retry_after_holds_back_every_process() {
    let (a, b) = two_processes("retry-after", None);

    let ticket = go(&a).await;
    let mut refused = RateLimitSignal::default();
    refused.status = Some(429);
    refused.retry_after = Some(Duration::from_secs(30));
    a.observe(ticket, refused).await;

    let held = wait(&b).await;
    assert!(
        held > Duration::from_secs(25) && held <= Duration::from_secs(30),
        "{held:?}"
    );
}

#[tokio::test]
async fn a_configured_rate_spaces_requests_across_processes() {
    let (a, b) = two_processes("rate", Some((1, Duration::from_secs(60))));

    go(&a).await;
    // One a minute, stretched by a second: the other process's turn is a
    // minute away.
    let held = wait(&b).await;
    assert!(
        held > Duration::from_secs(55) && held <= Duration::from_secs(61),
        "{held:?}"
    );
}

#[tokio::test]
async fn the_redis_key_is_a_hash_and_the_api_key_is_never_written() {
    const SECRET: &str = "vk_live_7Qm2xS3cr3tK3y";
    let prefix = unique_prefix("secrecy");
    let pacer = pacer(SECRET, pacing(&prefix).rate(100, Duration::from_secs(1)));

    let expected: String = Sha256::digest(SECRET.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    assert_eq!(pacer.redis_key(), format!("{prefix}:{expected}"));

    let ticket = go(&pacer).await;
    pacer.observe(ticket, answer(5)).await;

    // One request still in flight, so that both keys exist.
    go(&pacer).await;

    let mut redis = inspect();
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query(&mut redis)
        .unwrap_or_else(|error| panic!("KEYS: {error}"));
    keys.sort();
    let flight_key = format!("{}:flight", pacer.redis_key());
    assert_eq!(keys, [pacer.redis_key(), flight_key.as_str()]);
    let state: Vec<String> = redis::cmd("HGETALL")
        .arg(pacer.redis_key())
        .query(&mut redis)
        .unwrap_or_else(|error| panic!("HGETALL: {error}"));
    let in_flight: Vec<String> = redis::cmd("ZRANGE")
        .arg(&flight_key)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut redis)
        .unwrap_or_else(|error| panic!("ZRANGE: {error}"));
    assert!(!state.is_empty() && !in_flight.is_empty());
    for text in keys.iter().chain(&state).chain(&in_flight) {
        assert!(!text.contains(SECRET), "{text}");
    }
    assert!(!format!("{pacer:?}").contains(SECRET));
}

#[tokio::test]
async fn the_shared_state_expires_once_idle() {
    let (a, _) = two_processes("expiry", None);
    let ticket = go(&a).await;
    a.observe(ticket, answer(5)).await;

    let ttl: i64 = redis::cmd("PTTL")
        .arg(a.redis_key())
        .query(&mut inspect())
        .unwrap_or_else(|error| panic!("PTTL: {error}"));
    assert!(ttl > 0, "the state never expires: {ttl}");
}

#[derive(Vectorify)]
#[vectorify(collection = "notes")]
struct Note {
    #[vectorify(id)]
    id: u64,
    text: String,
}

fn notes(count: u64) -> Vec<Note> {
    (1..=count)
        .map(|id| Note {
            id,
            text: format!("note {id}"),
        })
        .collect()
}

/// A port on loopback where nothing listens.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|error| panic!("bind: {error}"));
    listener
        .local_addr()
        .unwrap_or_else(|error| panic!("local_addr: {error}"))
        .port()
}

/// Log lines written while `run` runs on this thread.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Upserts 60 notes in 6 batches through a client paced by `pacing`, on
/// this thread, and returns what was logged.
async fn upsert_with(pacing: RedisPacing) -> String {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _logging = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::builder()
        .api_key("fallback-test-key")
        .start()
        .await
        .unwrap_or_else(|error| panic!("the emulator starts: {error}"));
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .batch_size(10)
        .redis_pacing(pacing)
        .build()
        .unwrap_or_else(|error| panic!("the client builds: {error}"));

    let notes = notes(60);
    let report = client.upsert_all(&notes).await;
    assert!(report.is_ok(), "{report:?}");
    assert!(client.upsert(&notes[0]).await.is_ok());
    assert_eq!(emulator.item_count(), 60);
    emulator.shutdown().await;

    let text = logs.text();
    assert!(!text.contains("fallback-test-key"), "{text}");
    text
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_to_local_pacing_with_one_warning() {
    let url = format!("redis://127.0.0.1:{}/", closed_port());

    let logs = upsert_with(RedisPacing::new(url)).await;

    let warnings = logs.matches("shared pacing is unavailable").count();
    assert_eq!(warnings, 1, "{logs}");
}

#[tokio::test]
async fn a_redis_that_never_answers_falls_back_after_the_timeout() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|error| panic!("bind: {error}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|error| panic!("local_addr: {error}"))
        .port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });

    let pacing =
        RedisPacing::new(format!("redis://127.0.0.1:{port}/")).timeout(Duration::from_millis(200));
    let logs = upsert_with(pacing).await;
    silent.abort();

    assert!(logs.contains("shared pacing is unavailable"), "{logs}");
}

#[tokio::test]
async fn a_broken_shared_state_never_fails_an_upsert() {
    let prefix = unique_prefix("broken-state");
    let key = pacer(
        "fallback-test-key",
        RedisPacing::new(redis_url()).prefix(&prefix),
    )
    .redis_key()
    .to_owned();
    // Something else wrote a plain string where the state's hash belongs.
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg("not a hash")
        .arg("PX")
        .arg(60_000)
        .query(&mut inspect())
        .unwrap_or_else(|error| panic!("SET: {error}"));

    let logs = upsert_with(RedisPacing::new(redis_url()).prefix(&prefix)).await;

    assert!(logs.contains("shared pacing is unavailable"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_sharing_redis_stay_under_the_rate_limit() {
    // 4 clients of 2 batches in flight each, 24 batches in all, against 10
    // requests a second: paced together, they wait for the window instead
    // of meeting 429s.
    let emulator = Emulator::builder()
        .api_key("shared-limit-key")
        .rate_limit(RateLimit::new(10, Duration::from_secs(1)))
        .start()
        .await
        .unwrap_or_else(|error| panic!("the emulator starts: {error}"));
    let prefix = unique_prefix("four-clients");
    let notes = Arc::new(notes(240));

    let mut runs = Vec::new();
    for worker in 0..4 {
        let client = Client::builder()
            .api_key(emulator.api_key())
            .base_url(emulator.base_url())
            .batch_size(10)
            .max_in_flight(2)
            .redis_pacing(pacing(&prefix))
            .build()
            .unwrap_or_else(|error| panic!("the client builds: {error}"));
        let notes = Arc::clone(&notes);
        runs.push(tokio::spawn(async move {
            let share = &notes[worker * 60..(worker + 1) * 60];
            client.upsert_all(share).await.map(|report| report.items)
        }));
    }
    for run in runs {
        let items = run
            .await
            .unwrap_or_else(|error| panic!("a run panicked: {error}"));
        assert!(matches!(items, Ok(60)), "{items:?}");
    }

    assert_eq!(emulator.item_count(), 240);
    let refused = emulator
        .requests()
        .iter()
        .filter(|request| request.status == Some(429))
        .count();
    assert!(refused <= 2, "{refused} requests refused");
    emulator.shutdown().await;
}

#[test]
fn unusable_settings_fail_the_build() {
    let build = |pacing: RedisPacing| {
        Client::builder()
            .api_key("key")
            .redis_pacing(pacing)
            .build()
    };
    let config_error = |result: Result<Client, Error>| match result {
        Err(Error::Config(message)) => message,
        other => panic!("expected a configuration error, got {other:?}"),
    };

    assert!(config_error(build(RedisPacing::new("not a url"))).contains("Redis URL"));
    assert!(config_error(build(RedisPacing::new("rediss://127.0.0.1/"))).contains("Redis URL"));
    let no_requests = RedisPacing::new(DEFAULT_URL).rate(0, Duration::from_secs(1));
    assert!(config_error(build(no_requests)).contains("rate"));
    let no_time = RedisPacing::new(DEFAULT_URL).rate(1, Duration::ZERO);
    assert!(config_error(build(no_time)).contains("rate"));
}

#[test]
fn debug_output_shows_neither_the_api_key_nor_the_redis_password() {
    let pacing = RedisPacing::new("redis://:hunter2@127.0.0.1:6379/3");
    let shown = format!("{pacing:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("127.0.0.1:6379"), "{shown}");

    let client = Client::builder()
        .api_key("vk_live_debug_secret")
        .redis_pacing(pacing)
        .build()
        .unwrap_or_else(|error| panic!("the client builds: {error}"));
    let shown = format!("{client:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!shown.contains("vk_live_debug_secret"), "{shown}");
    assert!(shown.contains("RedisPacer"), "{shown}");
}
