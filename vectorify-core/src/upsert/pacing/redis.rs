//! Pacing shared through Redis: every process that uses one API key paces
//! its requests from one state, changed atomically by a Lua script
//! (`redis.lua`, beside this file).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Script, ScriptInvocation};
use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

use super::{
    ANSWER_POLL, InProcessPacer, LONGEST_WAIT, Pace, Pacer, PacerFuture, RateLimitSignal, Ticket,
};
use crate::client::ApiKey;
use crate::error::Error;

/// The prefix of the Redis key unless configured otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "vectorify:pacing";

/// The script every process runs against the shared state.
const SCRIPT: &str = include_str!("redis.lua");

/// Tickets handed out by the local pacer while Redis is unreachable carry
/// this bit; the script's tickets never reach it (they stay below 2^53).
const LOCAL_TICKET: u64 = 1 << 63;

/// How far ahead a request may be given its turn at the configured rate:
/// it then sleeps until its turn instead of asking Redis again.
const HORIZON: Duration = Duration::from_secs(2);

/// A request in flight for longer than this is taken as lost (its process
/// stopped before it could report the answer), and no longer holds a place
/// in the window.
const LOST_AFTER: Duration = Duration::from_secs(120);

/// How long the shared state outlives the last request that touched it,
/// beyond any wait it holds.
const IDLE_TTL: Duration = Duration::from_secs(10 * 60);

/// A configured rate's window is stretched by this share (at most
/// [`MAX_STRETCH`]), so that requests slowed on their way to the API do not
/// land in a window that is already full.
const STRETCH: u32 = 20;
const MAX_STRETCH: Duration = Duration::from_secs(1);

/// The values passed to the script stay below 2^53, where Lua's numbers are
/// exact.
const LUA_MAX: u64 = (1 << 53) - 1;

/// How to pace requests through Redis, for [`ClientBuilder::redis_pacing`].
///
/// Every client built with the same API key and the same
/// [`prefix`](Self::prefix) shares one pacing state in Redis, in as many
/// processes and machines as run them, so that together they stay under the
/// API's rate limit instead of each pacing itself alone and meeting `429`s.
/// The state lives under the key `{prefix}:{SHA-256 of the API key, in
/// hex}`; the API key itself is never sent to Redis.
///
/// Each process paces from what the API tells it (`X-RateLimit-Remaining`,
/// `X-RateLimit-Reset`, `Retry-After`), shared with the others, and from the
/// [`rate`](Self::rate) when one is set. When Redis cannot be reached, the
/// process paces itself alone, as [`InProcessPacer`] does, logs a warning,
/// and tries Redis again a little later: an upsert never fails because
/// Redis is down.
///
/// ```
/// use std::time::Duration;
/// use vectorify_core::{Client, RedisPacing};
///
/// let client = Client::builder()
///     .api_key("my-key")
///     .redis_pacing(
///         RedisPacing::new("redis://127.0.0.1:6379/")
///             .rate(60, Duration::from_secs(60)),
///     )
///     .build()?;
/// # Ok::<(), vectorify_core::Error>(())
/// ```
///
/// [`ClientBuilder::redis_pacing`]: crate::ClientBuilder::redis_pacing
#[derive(Clone)]
pub struct RedisPacing {
    /// The Redis client, or why the URL is not usable (reported by `build`).
    redis: Result<::redis::Client, String>,
    prefix: String,
    rate: Option<(u32, Duration)>,
    timeout: Duration,
    retry_redis_after: Duration,
    fallback_wait: Duration,
    max_wait: Duration,
}

impl RedisPacing {
    /// Pacing through the Redis at `url`: `redis://[[user]:password@]host[:port][/db]`
    /// or `redis+unix:///path/to/socket`. A URL that is not usable makes
    /// the client's [`build`](crate::ClientBuilder::build) fail.
    ///
    /// The build has no TLS support for Redis (`rediss://` is refused).
    pub fn new(url: impl AsRef<str>) -> Self {
        let redis = ::redis::Client::open(url.as_ref())
            .map_err(|error| format!("the Redis URL is not usable: {error}"));
        RedisPacing {
            redis,
            prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            rate: None,
            timeout: Duration::from_millis(500),
            retry_redis_after: Duration::from_secs(5),
            fallback_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(120),
        }
    }

    /// The start of the Redis key, [`DEFAULT_REDIS_PREFIX`] unless set:
    /// clients with the same key and different prefixes do not share state.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The API's rate limit, when you know it: at most `requests` per `per`.
    ///
    /// Requests then go evenly spaced, across every process, a little
    /// slower than the rate (its window stretched by 5%, at most one
    /// second), so that a fixed-window limit is never overrun by requests
    /// delayed on their way. Without a rate, requests go as fast as the
    /// API's answers allow and wait when they say the window is used up.
    ///
    /// `requests` must not be 0 and `per` must be from one millisecond to a
    /// day, or [`build`](crate::ClientBuilder::build) fails.
    #[must_use]
    pub fn rate(mut self, requests: u32, per: Duration) -> Self {
        self.rate = Some((requests, per));
        self
    }

    /// The longest one Redis call may take (connecting included) before the
    /// process paces itself alone; 500 ms unless set.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.min(LONGEST_WAIT);
        self
    }

    /// How long a process paces itself alone after Redis failed, before it
    /// tries Redis again; 5 s unless set.
    #[must_use]
    pub fn retry_redis_after(mut self, wait: Duration) -> Self {
        self.retry_redis_after = wait.min(LONGEST_WAIT);
        self
    }

    /// How long to wait when the window is used up and the API did not say
    /// when it ends; one second unless set, at most a day. As
    /// [`InProcessPacer::fallback_wait`].
    #[must_use]
    pub fn fallback_wait(mut self, wait: Duration) -> Self {
        self.fallback_wait = wait.min(LONGEST_WAIT);
        self
    }

    /// The longest any one wait may be, whatever the API asks; two minutes
    /// unless set, at most a day. As [`InProcessPacer::max_wait`].
    #[must_use]
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait.min(LONGEST_WAIT);
        self
    }

    /// Where Redis is, without any credentials in the URL.
    fn address(&self) -> String {
        match &self.redis {
            Ok(redis) => redis.get_connection_info().addr().to_string(),
            Err(_) => "<unusable URL>".to_owned(),
        }
    }
}

impl fmt::Debug for RedisPacing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPacing")
            .field("redis", &self.address())
            .field("prefix", &self.prefix)
            .field("rate", &self.rate)
            .field("timeout", &self.timeout)
            .field("retry_redis_after", &self.retry_redis_after)
            .field("fallback_wait", &self.fallback_wait)
            .field("max_wait", &self.max_wait)
            .finish()
    }
}

/// A [`Pacer`] whose state is shared through Redis by every process that
/// uses one API key; see [`RedisPacing`].
///
/// # How it paces
///
/// The state is one Redis hash, and the requests in flight a sorted set
/// beside it; a Lua script reads and changes both in one step, on Redis's
/// clock, so that processes never act on each other's half-made changes and
/// their own clocks need not agree.
///
/// - **The window.** Answers say how many requests are left in the API's
///   current window (`X-RateLimit-Remaining`) and when it ends
///   (`X-RateLimit-Reset`). The state keeps the fewest left that an answer
///   from this window said; requests that have gone and are not answered
///   yet, from any process, may not have been counted, so they are taken
///   off. Requests go while some are left. When the API says none are,
///   every process waits for the window's end; then as many go as the
///   window allows (`X-RateLimit-Limit`) until answers tell more. When the
///   API did not say when the window ends, requests wait
///   [`fallback_wait`](RedisPacing::fallback_wait), then one goes alone to
///   find out.
/// - **`Retry-After`.** Any answer that carries one holds every request of
///   every process back that long (at most
///   [`max_wait`](RedisPacing::max_wait)); a request already given its turn
///   checks again before it goes.
/// - **The rate.** With a [`rate`](RedisPacing::rate), requests are also
///   spaced evenly across every process (a generic cell rate algorithm:
///   each takes the next free turn, at most two seconds ahead, and sleeps
///   until it).
///
/// Before any answer (under a new key, or once the state has expired, about
/// a quarter of an hour after the last request) nothing is known of the
/// window, and requests go as the rate allows, or freely without one.
///
/// [`ClientBuilder::redis_pacing`](crate::ClientBuilder::redis_pacing)
/// builds one for the client's key. Build one yourself to share it between
/// clients in one process (wrapped in an `Arc`, through
/// [`ClientBuilder::pacer`](crate::ClientBuilder::pacer)) or to drive it
/// directly.
///
/// It connects on its first request, not when built, so it can be built
/// outside an async runtime; it must be used within a Tokio runtime.
pub struct RedisPacer {
    redis: ::redis::Client,
    address: String,
    key: String,
    /// The sorted set of the requests in flight, beside the state.
    flight_key: String,
    script: Script,
    settings: Settings,
    link: Mutex<Link>,
    /// Held while connecting, so that one request connects and the others
    /// wait for it.
    connecting: tokio::sync::Mutex<()>,
    /// Paces this process alone while Redis is unreachable.
    local: InProcessPacer,
}

/// The numbers the script is given.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// Milliseconds between requests at the configured rate; 0 for none.
    interval_ms: f64,
    timeout: Duration,
    retry_redis_after: Duration,
    fallback_wait: Duration,
    max_wait: Duration,
}

impl Settings {
    /// The time between requests at the configured rate; zero for none.
    fn interval(&self) -> Duration {
        Duration::try_from_secs_f64(self.interval_ms / 1000.0)
            .unwrap_or(Duration::ZERO)
            .min(LONGEST_WAIT)
    }
}

/// The connection to Redis, and whether it is to be asked.
#[derive(Default)]
struct Link {
    manager: Option<ConnectionManager>,
    /// Redis is not asked before this instant, after a failure.
    retry_at: Option<Instant>,
    /// Whether Redis failed last time it was asked (and a warning said so).
    down: bool,
}

/// The script's answer to `reserve`.
enum Reply {
    Go { ticket: u64, delay: Duration },
    Wait(Duration),
}

impl RedisPacer {
    /// A pacer for the API key `api_key`, as `pacing` says.
    ///
    /// Fails with [`Error::Config`] when the key is empty, the Redis URL is
    /// not usable or the rate is out of range. Nothing is sent to Redis yet.
    pub fn new(api_key: impl Into<ApiKey>, pacing: RedisPacing) -> Result<RedisPacer, Error> {
        let api_key = api_key.into();
        if api_key.expose().is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        let address = pacing.address();
        let redis = pacing.redis.map_err(Error::Config)?;
        let interval_ms = match pacing.rate {
            None => 0.0,
            Some((requests, per)) => {
                if requests == 0 {
                    return Err(Error::Config(
                        "the Redis pacing rate must allow at least one request".into(),
                    ));
                }
                if per < Duration::from_millis(1) || per > LONGEST_WAIT {
                    return Err(Error::Config(
                        "the Redis pacing rate's period must be from 1 ms to a day".into(),
                    ));
                }
                let stretched = per + (per / STRETCH).min(MAX_STRETCH);
                stretched.as_secs_f64() * 1000.0 / f64::from(requests)
            }
        };
        let settings = Settings {
            interval_ms,
            timeout: pacing.timeout,
            retry_redis_after: pacing.retry_redis_after,
            fallback_wait: pacing.fallback_wait,
            max_wait: pacing.max_wait,
        };
        let key = state_key(&pacing.prefix, api_key.expose());
        Ok(RedisPacer {
            redis,
            address,
            flight_key: format!("{key}:flight"),
            key,
            script: Script::new(SCRIPT),
            settings,
            link: Mutex::new(Link::default()),
            connecting: tokio::sync::Mutex::new(()),
            local: InProcessPacer::new()
                .fallback_wait(pacing.fallback_wait)
                .max_wait(pacing.max_wait),
        })
    }

    /// The Redis key that holds the shared state:
    /// `{prefix}:{SHA-256 of the API key, in hex}`. The requests in flight
    /// are kept beside it, under the same key followed by `:flight`.
    pub fn redis_key(&self) -> &str {
        &self.key
    }

    /// The script, about to run on this pacer's keys.
    fn invocation(&self, operation: &str) -> ScriptInvocation<'_> {
        let mut invocation = self.script.key(&self.key);
        invocation.key(&self.flight_key).arg(operation);
        invocation
    }

    /// How long the state may stay untouched in Redis.
    fn ttl_ms(&self) -> u64 {
        millis(IDLE_TTL + LOST_AFTER + self.settings.max_wait + self.settings.interval())
    }

    async fn reserve_shared(&self) -> Pace {
        let settings = self.settings;
        let mut invocation = self.invocation("reserve");
        invocation
            .arg(settings.interval_ms)
            .arg(millis(HORIZON))
            .arg(millis(ANSWER_POLL))
            .arg(millis(settings.fallback_wait))
            .arg(millis(settings.max_wait))
            .arg(millis(LOST_AFTER))
            .arg(self.ttl_ms());

        let reply = match self.invoke::<Vec<i64>>(&invocation).await {
            Some(values) => parse_reply(&values, settings.max_wait),
            None => None,
        };
        match reply {
            Some(Reply::Wait(wait)) => Pace::Wait(wait),
            Some(Reply::Go { ticket, delay }) => {
                if delay.is_zero() {
                    return Pace::Go(Ticket(ticket));
                }
                tokio::time::sleep(delay).await;
                // A `Retry-After` may have come in the meantime; the turn
                // is then given up, and its place in flight with it.
                match self.paused_for().await {
                    Some(wait) if !wait.is_zero() => {
                        self.observe_shared(Ticket(ticket), RateLimitSignal::no_answer())
                            .await;
                        Pace::Wait(wait)
                    }
                    _ => Pace::Go(Ticket(ticket)),
                }
            }
            None => match self.local.reserve().await {
                Pace::Go(Ticket(ticket)) => Pace::Go(Ticket(ticket | LOCAL_TICKET)),
                wait => wait,
            },
        }
    }

    /// How long every request must still wait, as Redis says.
    async fn paused_for(&self) -> Option<Duration> {
        let invocation = self.invocation("check");
        let wait = self.invoke::<i64>(&invocation).await?;
        Some(Duration::from_millis(wait.max(0).unsigned_abs()).min(self.settings.max_wait))
    }

    async fn observe_shared(&self, ticket: Ticket, signal: RateLimitSignal) {
        if ticket.0 & LOCAL_TICKET != 0 {
            let ticket = Ticket(ticket.0 & !LOCAL_TICKET);
            self.local.observe(ticket, signal).await;
            return;
        }

        let max_wait = self.settings.max_wait;
        let wall_now = SystemTime::now();
        let (reset_in, reset_id, stale) = match signal.reset {
            None => (-1, -1, false),
            Some(reset) => match reset.duration_since(wall_now) {
                Ok(from_now) if !from_now.is_zero() => {
                    let id = reset
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |since| since.as_secs().min(LUA_MAX));
                    (lua(millis(from_now.min(max_wait))), lua(id), false)
                }
                // An answer from a window that has ended says nothing about
                // the current one.
                _ => (-1, -1, true),
            },
        };
        let optional = |value: Option<u64>| value.map_or(-1, |value| lua(value.min(LUA_MAX)));
        let retry_after = signal
            .retry_after
            .map_or(-1, |wait| lua(millis(wait.min(max_wait))));

        let mut invocation = self.invocation("observe");
        invocation
            .arg(ticket.0.min(LUA_MAX))
            .arg(signal.status.unwrap_or(0))
            .arg(optional(signal.limit))
            .arg(optional(signal.remaining))
            .arg(reset_in)
            .arg(reset_id)
            .arg(retry_after)
            .arg(if stale { "1" } else { "0" })
            .arg(millis(max_wait))
            .arg(self.ttl_ms());
        // When Redis fails here, the answer's news is lost to the others;
        // the next requests pace this process alone and learn again.
        let _: Option<i64> = self.invoke(&invocation).await;
    }

    /// Runs the script; `None` when Redis could not be asked or failed,
    /// which [`unavailable`](Self::unavailable) has recorded.
    async fn invoke<T: ::redis::FromRedisValue>(
        &self,
        invocation: &ScriptInvocation<'_>,
    ) -> Option<T> {
        let mut connection = self.connection().await?;
        match tokio::time::timeout(
            self.settings.timeout,
            invocation.invoke_async(&mut connection),
        )
        .await
        {
            Ok(Ok(value)) => {
                self.available();
                Some(value)
            }
            Ok(Err(error)) => {
                self.unavailable(&error);
                None
            }
            Err(_) => {
                self.unavailable(&"no answer in time");
                None
            }
        }
    }

    /// The connection to Redis, made on first use; `None` while Redis is
    /// left alone after a failure, or when connecting fails.
    async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(ready) = self.ready_connection() {
            return ready;
        }
        let _connecting = self.connecting.lock().await;
        // Another request may have connected, or failed, while this one
        // waited.
        if let Some(ready) = self.ready_connection() {
            return ready;
        }

        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.settings.timeout))
            .set_response_timeout(Some(self.settings.timeout))
            .set_number_of_retries(0);
        let connect = ConnectionManager::new_with_config(self.redis.clone(), config);
        match tokio::time::timeout(self.settings.timeout, connect).await {
            Ok(Ok(manager)) => {
                debug!(redis = %self.address, "connected to Redis for pacing");
                self.lock().manager = Some(manager.clone());
                Some(manager)
            }
            Ok(Err(error)) => {
                self.unavailable(&error);
                None
            }
            Err(_) => {
                self.unavailable(&"no connection in time");
                None
            }
        }
    }

    /// `Some(connection)` when connected, `Some(None)` while Redis is left
    /// alone, `None` when a connection is to be made.
    fn ready_connection(&self) -> Option<Option<ConnectionManager>> {
        let link = self.lock();
        if link.retry_at.is_some_and(|at| Instant::now() < at) {
            return Some(None);
        }
        link.manager.clone().map(Some)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Link> {
        self.link.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records that Redis failed: this process paces itself alone for a
    /// while, and says so once.
    fn unavailable(&self, why: &dyn fmt::Display) {
        let mut link = self.lock();
        link.retry_at = Some(Instant::now() + self.settings.retry_redis_after);
        if !link.down {
            link.down = true;
            warn!(
                redis = %self.address,
                error = %why,
                retry_in_ms = millis(self.settings.retry_redis_after),
                "shared pacing is unavailable: this process paces its requests alone until Redis answers"
            );
        }
    }

    /// Records that Redis answered.
    fn available(&self) {
        let mut link = self.lock();
        link.retry_at = None;
        if link.down {
            link.down = false;
            info!(redis = %self.address, "Redis answers again: pacing is shared again");
        }
    }
}

impl fmt::Debug for RedisPacer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let link = self.lock();
        let interval = Some(self.settings.interval()).filter(|interval| !interval.is_zero());
        f.debug_struct("RedisPacer")
            .field("redis", &self.address)
            .field("key", &self.key)
            .field("interval", &interval)
            .field("connected", &link.manager.is_some())
            .field("redis_down", &link.down)
            .finish_non_exhaustive()
    }
}

impl Pacer for RedisPacer {
    fn reserve(&self) -> PacerFuture<'_, Pace> {
        Box::pin(self.reserve_shared())
    }

    fn observe(&self, ticket: Ticket, signal: RateLimitSignal) -> PacerFuture<'_, ()> {
        Box::pin(self.observe_shared(ticket, signal))
    }
}

/// The Redis key for an API key: the key itself never leaves the process,
/// only its SHA-256, which is the same in every process and on every
/// platform.
fn state_key(prefix: &str, api_key: &str) -> String {
    use std::fmt::Write;

    let digest = Sha256::digest(api_key.as_bytes());
    let mut key = String::with_capacity(prefix.len() + 1 + 64);
    key.push_str(prefix);
    key.push(':');
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(key, "{byte:02x}");
    }
    key
}

/// Reads the script's answer to `reserve`; `None` for anything else.
fn parse_reply(values: &[i64], max_wait: Duration) -> Option<Reply> {
    let wait = |ms: i64| Duration::from_millis(ms.max(0).unsigned_abs()).min(max_wait);
    match *values {
        [1, ticket, delay] if (0..=LUA_MAX as i64).contains(&ticket) => Some(Reply::Go {
            ticket: ticket.unsigned_abs(),
            delay: wait(delay),
        }),
        [0, ms] => Some(Reply::Wait(wait(ms))),
        _ => None,
    }
}

/// A duration in whole milliseconds, rounded up so that a wait is never
/// cut short.
fn millis(duration: Duration) -> u64 {
    let whole = duration.as_millis();
    let ms = if duration.subsec_nanos() % 1_000_000 == 0 {
        whole
    } else {
        whole + 1
    };
    u64::try_from(ms).unwrap_or(u64::MAX)
}

/// A value for the script, where `-1` means "not said".
fn lua(value: u64) -> i64 {
    i64::try_from(value.min(LUA_MAX)).unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_go_and_wait_replies_are_trusted() {
        let max_wait = Duration::from_secs(120);
        assert!(matches!(
            parse_reply(&[1, 7, 30], max_wait),
            Some(Reply::Go { ticket: 7, delay }) if delay == Duration::from_millis(30)
        ));
        assert!(matches!(
            parse_reply(&[0, 250], max_wait),
            Some(Reply::Wait(wait)) if wait == Duration::from_millis(250)
        ));
        assert!(matches!(
            parse_reply(&[0, i64::MAX], max_wait),
            Some(Reply::Wait(wait)) if wait == max_wait
        ));
        for odd in [
            &[][..],
            &[1, -1, 0],
            &[1, 7],
            &[2, 0],
            &[0, 1, 2],
            &[1, i64::MAX, 0],
        ] {
            assert!(parse_reply(odd, max_wait).is_none(), "{odd:?}");
        }
    }

    #[test]
    fn waits_round_up_to_whole_milliseconds() {
        assert_eq!(millis(Duration::from_micros(1)), 1);
        assert_eq!(millis(Duration::from_millis(25)), 25);
        assert_eq!(millis(Duration::from_micros(25_001)), 26);
        assert_eq!(millis(Duration::MAX), u64::MAX);
    }

    #[test]
    fn a_rate_is_stretched_by_a_twentieth_at_most_a_second() {
        let interval = |requests, per| {
            let pacing = RedisPacing::new("redis://127.0.0.1/").rate(requests, per);
            RedisPacer::new("key", pacing).map(|pacer| pacer.settings.interval_ms)
        };
        assert!(matches!(interval(40, Duration::from_secs(1)), Ok(ms) if ms == 26.25));
        assert!(
            matches!(interval(60, Duration::from_secs(60)), Ok(ms) if ms == 1_016.0 + 2.0 / 3.0)
        );
        assert!(interval(0, Duration::from_secs(1)).is_err());
        assert!(interval(1, Duration::ZERO).is_err());
        assert!(interval(1, Duration::from_secs(2 * 24 * 60 * 60)).is_err());
    }

    #[test]
    fn the_redis_key_is_the_prefix_and_the_sha256_of_the_api_key() {
        // `printf %s my-key | sha256sum`
        assert_eq!(
            state_key("vectorify:pacing", "my-key"),
            "vectorify:pacing:5e78863ed1ffb9fc66b1d61634b126bf8eb20267e7996297eeeb9b19c8c0f732"
        );
    }
}
