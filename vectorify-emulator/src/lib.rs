//! A local stand-in for the Vectorify API.
//!
//! The emulator serves the endpoints of the hosted API under `/v1/` on a
//! loopback port, checks request bodies by the rules the API documents, keeps
//! what it was sent in memory, and lets a test look inside. It can also be
//! told to misbehave — 5xx answers, 429s, dropped connections, lost responses,
//! latency — with seeded draws so that a failing test can be replayed. It
//! serves real HTTP/1.1 over a real socket: point any client at
//! [`Emulator::base_url`] and send [`Emulator::api_key`] as `Api-Key`.
//!
//! ```
//! use vectorify_emulator::Emulator;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! // In a #[tokio::test]:
//! let emulator = Emulator::builder().api_key("test-key").start().await?;
//! let base_url = emulator.base_url(); // "http://127.0.0.1:PORT/v1/"
//! assert!(base_url.ends_with("/v1/"));
//!
//! // ... run the code under test against `base_url` with the key "test-key" ...
//!
//! assert_eq!(emulator.item_count(), 0);
//! assert!(emulator.requests().is_empty());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The binary runs it on its own:
//! `cargo run -p vectorify-emulator -- --port 8787 --api-key KEY`
//! (`--help` lists the flags for faults, rate limit and limits).
//!
//! # Endpoints
//!
//! | route | answer |
//! |---|---|
//! | `POST /v1/upserts` | 201 `{"data": {"result": "Queued", "created_at": ...}}` |
//! | `GET /v1/upserts`, `GET /v1/upserts/{id}` | the upserts, newest first, paginated; one upsert |
//! | `POST /v1/query` | 201 `{"data": ChatMessage}` |
//! | `POST /v1/chats`, `GET /v1/chats`, `GET /v1/chats/{chat}` | a chat with its first exchange; the chats; one chat |
//! | `POST /v1/chats/{chat}/messages`, `GET /v1/chats/{chat}/messages/{message}` | the assistant's reply; one message |
//! | `POST /v1/chats/{chat}/feedback`, `POST /v1/chats/{chat}/messages/{message}/feedback` | 201 with the chat or message |
//!
//! Every route needs the `Api-Key` header (401 `{"message": "Unauthenticated."}`
//! otherwise). Errors are `{"message": ...}`; validation errors are 422
//! `{"message": ..., "errors": {"items.0.id": [...]}}` listing every broken
//! rule by dotted path, as the Laravel backend reports them. An unknown route
//! is a 404 and a wrong method a 405, both with a JSON message. A body past
//! the size limit (1 MiB unless set) is a 413. Lists are paginated like
//! Laravel's paginator (`?page=`, `?per_page=` up to 100, 15 by default;
//! `data`, `links`, `meta`).
//!
//! # Where the emulator decides what the API does not document
//!
//! - Malformed JSON is a 400 `{"message": "The request body is not valid
//!   JSON: ..."}`; an empty body counts as `{}`.
//! - `collection` is required in an upsert (it says where the items go), and
//!   a slug is lowercase ASCII letters, digits, `-` and `_`.
//! - `datetime` metadata must be an ISO 8601 date or date-time
//!   (`2023-10-01`, `2023-10-01T12:00:00Z`); `null` is accepted as "no value"
//!   for metadata of any type.
//! - An item needs `id` (a non-empty string, or an integer kept as its
//!   decimal text) and `data` (an object, `{}` allowed); `metadata` may be
//!   left out; `tenant` is a JSON integer or `null`; `url` a string or `null`.
//! - An upsert is all or nothing: one invalid item and nothing is stored.
//!   Within one body a repeated id is stored once, the last one winning.
//! - An upsert's status is `Queued` for the processing time (200 ms unless
//!   set), then `Completed`; its items are searchable at once.
//! - Questions are answered by a keyword match over the stored items (below),
//!   not by a language model as the hosted service does. `POST /v1/query`
//!   opens a chat of its own, so its answer's `chat_id` can be followed. A
//!   follow-up message in a chat searches what the chat's first question
//!   searched; the emulator keeps no other memory of the conversation.
//!   Messages have `user: null` (an API key has no user) and echo the
//!   question's `identifier`; chats also carry their `feedback`.
//!
//! # How questions are answered
//!
//! The hosted service answers with a language model over a vector index, so
//! its answers are prose about the data. The emulator's answers only say
//! which items share words with the question — enough to see that items
//! arrived and that collection and tenant filters work, not to judge answers:
//!
//! 1. The question is split into words (runs of letters and digits),
//!    lowercased; words shorter than three characters and common English
//!    stop words ("how", "many", "the", "which", ...) are dropped. The rest
//!    are the keywords (the first 64 of them).
//! 2. An item's words are those of every string and number in its `data` and
//!    `metadata`, found the same way.
//! 3. A keyword matches an item word when they are equal, or equal once a
//!    trailing `s` is taken from either (so `invoice` finds `invoices`).
//! 4. An item's score is the number of distinct keywords it matches; items
//!    scoring zero do not match. Only the asked `collections` (all when none
//!    are named) and the asked `tenant` (every item when none is given) are
//!    searched.
//! 5. The answer says how many items matched and names the best three as
//!    `collection/id`, highest score first, ties in (collection, tenant, id)
//!    order, e.g. `2 items match the keywords invoices, draft. Best matches:
//!    invoices/1, invoices/2. (Answered by the Vectorify emulator's keyword
//!    match; the hosted service answers with a language model.)`
//!
//! # Faults and rate limit
//!
//! [`Faults`] apply to authenticated requests to known routes, after the
//! body was read and the rate limit passed:
//!
//! - a server error answers 500 or 503 with a JSON message, or 502 or 503
//!   with an HTML page as a proxy would, and stores nothing;
//! - an injected 429 carries `Retry-After` (1 s unless set) and stores nothing;
//! - a dropped connection is closed before the request is handled: no byte
//!   of a response is written and nothing is stored;
//! - a lost response is handled (an upsert's items are stored), then the
//!   connection is closed before any byte of the response is written;
//! - latency (plus jitter) delays each request before it is handled.
//!
//! The n-th request after the faults were set meets the same fault for the
//! same seed. [`Emulator::requests`] shows which fault each request met.
//!
//! The [`RateLimit`] (off unless set) is a fixed window counting every
//! request to the server; while it is on, every response carries
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`
//! (epoch seconds), and a request past the limit gets 429
//! `{"message": "Too Many Attempts."}` with `Retry-After` (whole seconds
//! until the window ends, at least 1).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod answer;
mod fast;
mod faults;
mod plain;
mod rate_limit;
mod requests;
mod respond;
mod routes;
mod server;
mod store;
mod time;
mod validate;

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{FaultKind, Faults};
pub use rate_limit::RateLimit;
pub use requests::{MASK, RecordedRequest};
pub use store::{Store, StoredCollection, StoredItem, Upsert, UpsertStatus};
pub use validate::MAX_ITEMS_PER_UPSERT;

use faults::Dice;
use rate_limit::Limiter;
use requests::RequestLog;
use server::{RequestHook, Shared, lock};

/// The key the emulator accepts unless [`EmulatorBuilder::api_key`] sets another.
pub const DEFAULT_API_KEY: &str = "emulator-key";

/// The body size limit unless [`EmulatorBuilder::max_body_bytes`] sets
/// another: 1 MiB, nginx's default `client_max_body_size`.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long an upsert stays `Queued` unless
/// [`EmulatorBuilder::processing_time`] sets another.
pub const DEFAULT_PROCESSING_TIME: Duration = Duration::from_millis(200);

/// How many requests [`Emulator::requests`] keeps unless
/// [`EmulatorBuilder::request_log_limit`] sets another.
pub const DEFAULT_REQUEST_LOG_LIMIT: usize = 100_000;

/// A running emulator. Dropping it stops the server at once;
/// [`shutdown`](Emulator::shutdown) lets requests in flight finish first.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .field("store", &self.shared.store)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with the defaults: key [`DEFAULT_API_KEY`], a free port on
    /// 127.0.0.1, no rate limit, no faults.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with the defaults of [`Emulator::builder`].
    pub async fn start() -> io::Result<Emulator> {
        Self::builder().start().await
    }

    /// The base URL of the API, with a trailing slash:
    /// `http://127.0.0.1:PORT/v1/`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The key the emulator accepts in the `Api-Key` header.
    pub fn api_key(&self) -> &str {
        &self.shared.api_key
    }

    /// Replaces the faults; the draws start over from the new seed.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.dice) = Dice::new(faults);
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        lock(&self.shared.dice).faults().clone()
    }

    /// Sets or removes the rate limit; a new window starts now.
    pub fn set_rate_limit(&self, rate_limit: Option<RateLimit>) {
        lock(&self.shared.limiter).set(rate_limit);
    }

    /// The emulator's data; pass it to [`EmulatorBuilder::store`] to keep it
    /// across a restart.
    pub fn store(&self) -> Store {
        self.shared.store.clone()
    }

    /// The items of one collection, all tenants, sorted by (tenant, id).
    pub fn items(&self, collection: &str) -> Vec<StoredItem> {
        self.shared.store.items(collection)
    }

    /// One item by collection, tenant and id.
    pub fn item(&self, collection: &str, tenant: Option<i64>, id: &str) -> Option<StoredItem> {
        self.shared.store.item(collection, tenant, id)
    }

    /// The number of items in all collections.
    pub fn item_count(&self) -> usize {
        self.shared.store.item_count()
    }

    /// The collection schemas, sorted by slug.
    pub fn collections(&self) -> Vec<StoredCollection> {
        self.shared.store.collections()
    }

    /// Every accepted upsert, oldest first.
    pub fn upserts(&self) -> Vec<Upsert> {
        self.shared.store.upserts()
    }

    /// The requests seen, oldest first (the most recent
    /// [`DEFAULT_REQUEST_LOG_LIMIT`] unless set otherwise), with the key masked.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log).all()
    }

    /// How many requests the emulator has seen, including those no longer kept.
    pub fn request_count(&self) -> u64 {
        lock(&self.shared.log).total()
    }

    /// Forgets the recorded requests (the count goes on).
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }

    /// Stops accepting connections, lets requests in flight finish (for up
    /// to five seconds), and closes every connection.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Aborting the server task drops its connections' tasks with it.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Configures and starts an [`Emulator`].
///
/// ```
/// use std::time::Duration;
/// use vectorify_emulator::{Emulator, Faults, RateLimit};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let emulator = Emulator::builder()
///     .api_key("test-key")
///     .rate_limit(RateLimit::per_minute(60))
///     .faults(Faults::none().seed(7).server_errors(0.1))
///     .processing_time(Duration::from_millis(50))
///     .start()
///     .await?;
/// assert_eq!(emulator.api_key(), "test-key");
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct EmulatorBuilder {
    api_key: String,
    host: IpAddr,
    port: u16,
    rate_limit: Option<RateLimit>,
    faults: Faults,
    max_body_bytes: usize,
    processing_time: Duration,
    store: Option<Store>,
    request_log_limit: usize,
    on_request: Option<RequestHook>,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_owned(),
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            rate_limit: None,
            faults: Faults::none(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            processing_time: DEFAULT_PROCESSING_TIME,
            store: None,
            request_log_limit: DEFAULT_REQUEST_LOG_LIMIT,
            on_request: None,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("api_key", &MASK)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("rate_limit", &self.rate_limit)
            .field("faults", &self.faults)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("processing_time", &self.processing_time)
            .field("store", &self.store)
            .field("request_log_limit", &self.request_log_limit)
            .field("on_request", &self.on_request.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl EmulatorBuilder {
    /// The key to accept in the `Api-Key` header (surrounding whitespace is
    /// ignored, as the official client trims it).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = api_key.into().trim().to_owned();
        self
    }

    /// The address to listen on; 127.0.0.1 unless set.
    pub fn host(mut self, host: IpAddr) -> Self {
        self.host = host;
        self
    }

    /// The port to listen on; 0 (the default) picks a free one.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Limits the requests per window across the whole server.
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = Some(rate_limit);
        self
    }

    /// The faults to inject.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// The largest request body accepted, in bytes; larger ones get a 413.
    pub fn max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// How long an upsert reports `Queued` before it reports `Completed`
    /// (at most a year).
    pub fn processing_time(mut self, processing_time: Duration) -> Self {
        self.processing_time = processing_time.min(Duration::from_secs(365 * 86_400));
        self
    }

    /// Serves this store instead of an empty one, e.g. the
    /// [`Emulator::store`] of an emulator that was shut down.
    pub fn store(mut self, store: Store) -> Self {
        self.store = Some(store);
        self
    }

    /// How many recent requests [`Emulator::requests`] keeps; 0 keeps none.
    pub fn request_log_limit(mut self, limit: usize) -> Self {
        self.request_log_limit = limit;
        self
    }

    /// Calls `hook` with each request once it is answered or its connection
    /// closed, e.g. to print a log line.
    pub fn on_request(mut self, hook: impl Fn(&RecordedRequest) + Send + Sync + 'static) -> Self {
        self.on_request = Some(Arc::new(hook));
        self
    }

    /// Binds the port and starts serving on the current Tokio runtime.
    pub async fn start(self) -> io::Result<Emulator> {
        let listener = TcpListener::bind(SocketAddr::new(self.host, self.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            api_key: self.api_key,
            base_url: format!("http://{addr}/v1/"),
            store: self.store.unwrap_or_default(),
            dice: Mutex::new(Dice::new(self.faults)),
            limiter: Mutex::new(Limiter::new(self.rate_limit)),
            log: Mutex::new(RequestLog::new(self.request_log_limit)),
            max_body_bytes: self.max_body_bytes,
            processing_time: self.processing_time,
            on_request: self.on_request,
        });

        let router = routes::router(shared.clone());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, shared.clone(), router, stopped));
        Ok(Emulator {
            shared,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }
}
