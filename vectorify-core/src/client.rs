//! The client: where the API is, the key that opens it, and how requests go
//! out (timeouts, TLS, batches, retries, pacing).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderName, HeaderValue};

use crate::error::{REDACTED, SHORTEST_REDACTED};
use crate::upsert::{
    self, InProcessPacer, MAX_BATCH_SIZE, Pacer, RetryPolicy, UpsertAll, UpsertStream,
    UpsertTryStream,
};
use crate::{Error, UpsertReceipt, Vectorify};

/// The API's address unless configured otherwise.
pub const DEFAULT_BASE_URL: &str = "https://api.vectorify.ai/v1/";

/// The environment variable [`Client::from_env`] reads the key from.
pub const API_KEY_VAR: &str = "VECTORIFY_API_KEY";

/// The environment variable [`Client::from_env`] reads the base URL from.
pub const BASE_URL_VAR: &str = "VECTORIFY_BASE_URL";

/// The header that carries the key.
pub(crate) const API_KEY_HEADER: HeaderName = HeaderName::from_static("api-key");

/// A Vectorify API key: a secret, so its `Debug` shows nothing of it, and it
/// has no `Display`.
///
/// ```
/// use vectorify_core::ApiKey;
///
/// let key = ApiKey::from("vk_live_123");
/// assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key. Surrounding whitespace is trimmed; whether the key is
    /// usable is checked when the client is built.
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        let trimmed = key.trim();
        if trimmed.len() == key.len() {
            ApiKey(key)
        } else {
            ApiKey(trimmed.to_owned())
        }
    }

    /// The key itself, for the code that must read it (never to print).
    #[cfg(feature = "redis")]
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The header value that carries the key, marked sensitive so that
    /// the HTTP stack never prints it.
    fn header_value(&self) -> Result<HeaderValue, Error> {
        if self.0.is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        // Never echo the key: say what is wrong with it, not what it is.
        let mut value = HeaderValue::from_str(&self.0).map_err(|_| {
            Error::Config("the API key has characters that cannot be sent in a header".into())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// A configuration error with the key cut out of its message: a message
    /// that repeats the base URL would show the key if it was given there
    /// (the key and the URL swapped, the key in a query string).
    fn cut_from(&self, error: Error) -> Error {
        match error {
            Error::Config(message)
                if self.0.len() >= SHORTEST_REDACTED && message.contains(&self.0) =>
            {
                Error::Config(message.replace(&self.0, REDACTED))
            }
            other => other,
        }
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        ApiKey::new(key)
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        ApiKey::new(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// A client of the Vectorify API.
///
/// Cheap to clone: clones share one connection pool, one rate-limit pacer
/// and one configuration. Build one with [`Client::builder`] or
/// [`Client::from_env`], keep it for the life of the application, and
/// upsert with [`Vectorify::upsert`], [`Client::upsert_all`] or
/// [`Client::upsert_stream`].
///
/// ```no_run
/// use vectorify_core::{Client, Vectorify};
///
/// #[derive(Vectorify)]
/// #[vectorify(collection = "invoices")]
/// struct Invoice {
///     #[vectorify(id)]
///     id: u64,
///     #[vectorify(metadata)]
///     customer_name: String,
///     amount: String,
/// }
///
/// # async fn run() -> Result<(), vectorify_core::Error> {
/// let client = Client::builder().api_key("my-key").build()?;
///
/// let invoice = Invoice { id: 123, customer_name: "John Doe".into(), amount: "100".into() };
/// let receipt = invoice.upsert(&client).await?;
/// println!("{:?}", receipt.result);
///
/// let invoices: Vec<Invoice> = Vec::new();
/// let report = client.upsert_all(&invoices).await?;
/// println!("{} items in {} batches", report.items, report.batches);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone of a client shares.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: Url,
    pub(crate) upserts_url: Url,
    pub(crate) api_key: HeaderValue,
    pub(crate) timeout: Option<Duration>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) batch_size: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) pacer: Arc<dyn Pacer>,
    /// The size of the smallest body the API refused as too large.
    body_limit: AtomicUsize,
}

impl Inner {
    /// The size past which a batch is known to be refused as too large.
    pub(crate) fn body_limit(&self) -> usize {
        self.body_limit.load(Ordering::Relaxed)
    }

    /// Remembers that the API refused a body of `bytes` as too large.
    pub(crate) fn learn_body_limit(&self, bytes: usize) {
        // Bodies of `bytes` and more are refused: keep below.
        self.body_limit
            .fetch_min(bytes.saturating_sub(1), Ordering::Relaxed);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Client")
            .field("base_url", &inner.base_url.as_str())
            .field("api_key", &"<redacted>")
            .field("timeout", &inner.timeout)
            .field("connect_timeout", &inner.connect_timeout)
            .field("batch_size", &inner.batch_size)
            .field("max_in_flight", &inner.max_in_flight)
            .field("retry", &inner.retry)
            .field("pacer", &inner.pacer)
            .finish()
    }
}

impl Client {
    /// A builder, to set the key and anything else.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment: the key from
    /// `VECTORIFY_API_KEY` (required) and the base URL from
    /// `VECTORIFY_BASE_URL` (optional).
    ///
    /// ```no_run
    /// let client = vectorify_core::Client::from_env()?;
    /// # Ok::<(), vectorify_core::Error>(())
    /// ```
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build()
    }

    /// The base URL requests go to, ending in `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// Upserts one item: sends it, retrying as the client's
    /// [`RetryPolicy`] allows, and returns the API's receipt once it has
    /// accepted it. [`Vectorify::upsert`] calls this.
    ///
    /// An item the API refuses gives [`Error::Api`]; one that never reached
    /// it, [`Error::Connection`] or [`Error::Timeout`].
    pub fn upsert<'a, T>(
        &'a self,
        item: &'a T,
    ) -> impl Future<Output = Result<UpsertReceipt, Error>> + Send + 'a
    where
        T: Vectorify + Sync,
    {
        upsert::upsert_one(&self.inner, item)
    }

    /// Upserts many items, in batches of up to 90 with several batches in
    /// flight, retrying and pacing as configured.
    ///
    /// Every item is sent that can be. If any is finally not accepted, the
    /// result is [`Error::Upsert`], whose
    /// [`failed_ids`](Error::failed_ids) lists exactly the items not
    /// accepted; everything else is stored. Items refused for their own
    /// content (a metadata value the collection does not allow, say) fail
    /// alone: the rest of their batch is sent again without them.
    ///
    /// Await the returned value to run it; set
    /// [`on_progress`](UpsertAll::on_progress) first for progress events.
    ///
    /// ```no_run
    /// # use vectorify_core::{Client, Vectorify};
    /// # async fn sync<T: Vectorify + Sync>(client: &Client, invoices: Vec<T>) -> Result<(), vectorify_core::Error> {
    /// let report = client.upsert_all(&invoices).await?;
    /// assert_eq!(report.items, invoices.len() as u64);
    /// # Ok(())
    /// # }
    /// ```
    pub fn upsert_all<'a, T, I>(&self, items: I) -> UpsertAll<'a, T, I>
    where
        I: IntoIterator<Item = &'a T>,
        T: Vectorify + 'a,
    {
        UpsertAll::new(self.clone(), items)
    }

    /// Upserts the items of a stream, for inputs that do not fit in memory
    /// (rows from a database cursor, lines of a file).
    ///
    /// The stream is read only as batches leave, so memory holds at most the
    /// batches in flight whatever the input's length; each item is written
    /// into its batch's body and dropped. Otherwise as
    /// [`upsert_all`](Client::upsert_all).
    pub fn upsert_stream<'a, S>(&self, items: S) -> UpsertStream<'a, S>
    where
        S: futures_util::Stream + 'a,
        S::Item: Vectorify,
    {
        UpsertStream::new(self.clone(), items)
    }

    /// Upserts the items of a stream of `Result`s, as a database cursor
    /// yields them: the first `Err` stops the reading, the batches already
    /// written are still sent, and the run ends with [`Error::Upsert`]
    /// carrying the stream's error
    /// ([`UpsertError::input_error`](crate::UpsertError::input_error)) and
    /// the exact account of the items read. Otherwise as
    /// [`upsert_stream`](Client::upsert_stream).
    ///
    /// ```no_run
    /// # use futures_util::stream;
    /// # use vectorify_core::{Client, Vectorify};
    /// # async fn sync<T: Vectorify + Send + 'static>(client: &Client, rows: Vec<Result<T, std::io::Error>>) -> Result<(), vectorify_core::Error> {
    /// // Rows as a database driver streams them: `Result<Row, DriverError>`.
    /// let report = client.upsert_try_stream(stream::iter(rows)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn upsert_try_stream<'a, S, T, E>(&self, items: S) -> UpsertTryStream<'a, S>
    where
        S: futures_util::Stream<Item = Result<T, E>> + 'a,
        T: Vectorify,
    {
        UpsertTryStream::new(self.clone(), items)
    }
}

/// Configures a [`Client`]. Only the key is required.
///
/// The defaults: the API at `https://api.vectorify.ai/v1/`, a 10 s connect
/// timeout and a 30 s timeout per request, batches of 90 items with 8 in
/// flight, the default [`RetryPolicy`] (5 attempts) and an
/// [`InProcessPacer`].
///
/// ```
/// use std::time::Duration;
/// use vectorify_core::Client;
///
/// let client = Client::builder()
///     .api_key("my-key")
///     .base_url("http://127.0.0.1:8787/v1/")
///     .timeout(Duration::from_secs(60))
///     .max_in_flight(16)
///     .build()?;
/// # Ok::<(), vectorify_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: Option<String>,
    allow_plain_http: bool,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    http_client: Option<reqwest::Client>,
    batch_size: usize,
    max_in_flight: usize,
    retry: RetryPolicy,
    pacer: Option<Arc<dyn Pacer>>,
    #[cfg(feature = "redis")]
    redis_pacing: Option<crate::RedisPacing>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            api_key: None,
            base_url: None,
            allow_plain_http: false,
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Some(Duration::from_secs(10)),
            http_client: None,
            batch_size: MAX_BATCH_SIZE,
            max_in_flight: 8,
            retry: RetryPolicy::default(),
            pacer: None,
            #[cfg(feature = "redis")]
            redis_pacing: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the key and base URL from `VECTORIFY_API_KEY` and
    /// `VECTORIFY_BASE_URL`, where set; other settings can follow.
    pub fn from_env() -> ClientBuilder {
        let mut builder = ClientBuilder::default();
        if let Ok(key) = std::env::var(API_KEY_VAR) {
            builder.api_key = Some(ApiKey::new(key));
        }
        if let Ok(url) = std::env::var(BASE_URL_VAR) {
            if !url.trim().is_empty() {
                builder.base_url = Some(url);
            }
        }
        builder
    }

    /// The API key; required. Surrounding whitespace is trimmed, and an
    /// empty key makes [`build`](Self::build) fail.
    pub fn api_key(mut self, key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// The API's base URL, `https://api.vectorify.ai/v1/` unless set. A
    /// missing final `/` is added.
    ///
    /// Plain `http` is accepted for loopback addresses only (`localhost`,
    /// `127.0.0.1`, `[::1]`), since the key travels in every request; see
    /// [`allow_plain_http`](Self::allow_plain_http).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Lets the key travel over plain `http` to a host other than loopback,
    /// where anyone on the way can read it. For a test server on a private
    /// network, never for the real API.
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// The longest one request may take, from sending to the end of the
    /// answer; 30 s unless set. A request that takes longer is retried.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The longest a connection may take to open; 10 s unless set. Applies
    /// only to the client's own HTTP client, not one given with
    /// [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Sends requests with this HTTP client (its proxies, TLS roots,
    /// timeouts) instead of one of the client's own.
    ///
    /// The request [`timeout`](Self::timeout) still applies to each request.
    /// Give it a client that does not follow redirects: the key goes with
    /// every request, and a redirect could carry it elsewhere.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// At most this many items per batch, from 1 to 90 (the API's maximum);
    /// 90 unless set.
    pub fn batch_size(mut self, items: usize) -> Self {
        self.batch_size = items;
        self
    }

    /// At most this many batches in flight at once, in one bulk upsert; 8
    /// unless set.
    pub fn max_in_flight(mut self, batches: usize) -> Self {
        self.max_in_flight = batches;
        self
    }

    /// How batches are retried.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Paces requests with this pacer: an [`InProcessPacer`] with other
    /// settings, [`NoPacing`](crate::NoPacing), an `Arc` shared with other
    /// clients, or your own.
    pub fn pacer(mut self, pacer: impl Pacer + 'static) -> Self {
        self.pacer = Some(Arc::new(pacer));
        #[cfg(feature = "redis")]
        {
            self.redis_pacing = None;
        }
        self
    }

    /// Paces requests through Redis, sharing one pacing state with every
    /// client that uses the same key, in this process and in others: see
    /// [`RedisPacing`](crate::RedisPacing). Replaces any
    /// [`pacer`](Self::pacer); the last of the two set wins.
    ///
    /// The Redis key is made from a hash of the API key; the API key itself
    /// is never sent to Redis. An unusable URL or rate makes
    /// [`build`](Self::build) fail; a Redis that cannot be reached later
    /// never makes an upsert fail.
    #[cfg(feature = "redis")]
    pub fn redis_pacing(mut self, pacing: crate::RedisPacing) -> Self {
        self.redis_pacing = Some(pacing);
        self.pacer = None;
        self
    }

    /// Builds the client.
    ///
    /// Fails with [`Error::Config`] when the key is missing or empty, the
    /// base URL does not parse or is not `http(s)`, the key would travel
    /// over plain `http` to a host other than loopback, a number is out of
    /// range, the TLS setup fails, or the [Redis
    /// pacing](Self::redis_pacing)'s URL or rate is not usable.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.as_ref().ok_or_else(|| {
            Error::Config(format!(
                "no API key: set one with `api_key` or in {API_KEY_VAR}"
            ))
        })?;
        let api_key = key.header_value()?;

        let base_url = base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))
            .map_err(|error| key.cut_from(error))?;
        if base_url.scheme() == "http" && !self.allow_plain_http && !is_loopback(&base_url) {
            return Err(Error::Config(format!(
                "refusing to send the API key over plain http to {}: use https, or allow it with `allow_plain_http(true)`",
                base_url.host_str().unwrap_or_default()
            )));
        }
        let upserts_url = base_url
            .join("upserts")
            .map_err(|error| Error::Config(format!("the base URL cannot take a path: {error}")))?;

        if !(1..=MAX_BATCH_SIZE).contains(&self.batch_size) {
            return Err(Error::Config(format!(
                "the batch size must be from 1 to {MAX_BATCH_SIZE}, not {}",
                self.batch_size
            )));
        }
        if self.max_in_flight == 0 {
            return Err(Error::Config(
                "at least one batch must be allowed in flight".into(),
            ));
        }

        let http = match self.http_client {
            Some(http) => http,
            None => http_client(self.connect_timeout)?,
        };

        let pacer = self.pacer;
        #[cfg(feature = "redis")]
        let pacer = match self.redis_pacing {
            Some(pacing) => Some(Arc::new(crate::RedisPacer::new(key.clone(), pacing)?) as _),
            None => pacer,
        };

        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                upserts_url,
                api_key,
                timeout: self.timeout,
                connect_timeout: self.connect_timeout,
                batch_size: self.batch_size,
                max_in_flight: self.max_in_flight,
                retry: self.retry,
                pacer: pacer.unwrap_or_else(|| Arc::new(InProcessPacer::new())),
                body_limit: AtomicUsize::new(usize::MAX),
            }),
        })
    }
}

/// Parses a base URL and makes sure it ends with `/`, so that `upserts`
/// joins onto it rather than replacing its last segment.
fn base_url(url: &str) -> Result<Url, Error> {
    let mut parsed = Url::parse(url.trim())
        .map_err(|error| Error::Config(format!("the base URL {url:?} does not parse: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the base URL {url:?} must start with https:// (or http:// for a local server)"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("the base URL {url:?} has no host")));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(
            "the base URL must not carry credentials: the key goes in `api_key`".into(),
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "the base URL {url:?} must not have a query or a fragment"
        )));
    }
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

/// Whether the URL's host is this machine: `localhost` or a loopback address.
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return ip.is_loopback();
    }
    let domain = host.trim_end_matches('.').to_ascii_lowercase();
    domain == "localhost" || domain.ends_with(".localhost")
}

/// The client's own HTTP client: HTTP/1.1 over rustls, verifying
/// certificates against the platform's roots, and no redirects (the key must
/// not follow one).
fn http_client(connect_timeout: Option<Duration>) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("vectorify-rs/", env!("CARGO_PKG_VERSION")))
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true);
    if let Some(timeout) = connect_timeout {
        builder = builder.connect_timeout(timeout);
    }
    builder
        .build()
        .map_err(|error| Error::Config(format!("the HTTP client could not be built: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_error(builder: ClientBuilder) -> String {
        match builder.build() {
            Err(Error::Config(message)) => message,
            Err(other) => panic!("expected a configuration error, got {other:?}"),
            Ok(client) => panic!("expected a configuration error, got {client:?}"),
        }
    }

    #[test]
    fn base_urls_end_with_a_slash() {
        let url = base_url("http://127.0.0.1:8787/v1").map(|url| url.to_string());
        assert_eq!(url.ok().as_deref(), Some("http://127.0.0.1:8787/v1/"));
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for url in [
            "http://localhost:1/",
            "http://127.0.0.2/",
            "http://[::1]:80/",
            "http://api.localhost/",
        ] {
            assert!(base_url(url).is_ok_and(|url| is_loopback(&url)), "{url}");
        }
        for url in [
            "http://10.0.0.1/",
            "http://example.com/",
            "http://localhost.example.com/",
        ] {
            assert!(base_url(url).is_ok_and(|url| !is_loopback(&url)), "{url}");
        }
    }

    #[test]
    fn the_key_is_trimmed_and_must_not_be_empty() {
        assert!(config_error(Client::builder().api_key("  \n")).contains("empty"));
        assert!(config_error(Client::builder()).contains("no API key"));
        let message = config_error(Client::builder().api_key("bad\u{7}key"));
        assert!(!message.contains("bad"));
    }

    #[test]
    fn a_key_in_the_base_url_is_not_repeated_in_the_error() {
        let key = "vk_live_0123456789";
        for url in [
            key.to_owned(),
            format!("https://api.example.com/?key={key}"),
        ] {
            let message = config_error(Client::builder().api_key(key).base_url(url));
            assert!(!message.contains(key), "{message}");
            assert!(message.contains("<redacted>"), "{message}");
        }
    }

    #[test]
    fn numbers_out_of_range_are_refused() {
        let builder = || Client::builder().api_key("key");
        assert!(config_error(builder().batch_size(0)).contains("batch size"));
        assert!(config_error(builder().batch_size(91)).contains("batch size"));
        assert!(config_error(builder().max_in_flight(0)).contains("in flight"));
    }
}
