//! Pacing: reading the API's rate-limit headers and holding requests back
//! before the limit is hit, for all the work a client has in flight.

use std::cmp::Ordering;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "redis")]
pub use self::redis::{DEFAULT_REDIS_PREFIX, RedisPacer, RedisPacing};

/// A boxed future, as the [`Pacer`] methods return them.
pub type PacerFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The shortest wait a client sleeps, so that a pacer that keeps saying
/// "wait 0" cannot spin.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// Asks `pacer` until it lets a request go, sleeping each wait it asks for
/// (at least [`MIN_WAIT`]) after telling `on_wait`.
pub(crate) async fn take_turn(pacer: &dyn Pacer, mut on_wait: impl FnMut(Duration)) -> Ticket {
    loop {
        match pacer.reserve().await {
            Pace::Go(ticket) => return ticket,
            Pace::Wait(wait) => {
                let wait = wait.max(MIN_WAIT);
                tracing::debug!(
                    wait_ms = wait.as_millis() as u64,
                    "waiting for the rate limit"
                );
                on_wait(wait);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Decides when a request may go, from what the API said about its rate
/// limit.
///
/// The client asks [`reserve`](Pacer::reserve) before every request and
/// reports each answer to [`observe`](Pacer::observe). One pacer is shared by
/// everything a [`Client`](crate::Client) (and its clones) sends, so that a
/// bulk run slows down as a whole instead of meeting `429 Too Many Requests`
/// in every batch in flight.
///
/// [`InProcessPacer`] is the default; it keeps its state in memory, for one
/// process. An implementation that keeps the state in a shared store can pace
/// several processes that use the same key. [`NoPacing`] turns pacing off.
pub trait Pacer: fmt::Debug + Send + Sync {
    /// Asks whether a request may be sent now.
    ///
    /// [`Pace::Go`] reserves a place for the request, which is then sent; the
    /// client reports its answer with the same ticket. [`Pace::Wait`] asks
    /// the client to wait and then ask again.
    fn reserve(&self) -> PacerFuture<'_, Pace>;

    /// Reports the answer to the request sent with `ticket`. `signal` is
    /// empty when no answer came (a broken connection, a timeout).
    fn observe(&self, ticket: Ticket, signal: RateLimitSignal) -> PacerFuture<'_, ()>;
}

impl<P: Pacer + ?Sized> Pacer for std::sync::Arc<P> {
    fn reserve(&self) -> PacerFuture<'_, Pace> {
        (**self).reserve()
    }

    fn observe(&self, ticket: Ticket, signal: RateLimitSignal) -> PacerFuture<'_, ()> {
        (**self).observe(ticket, signal)
    }
}

/// A [`Pacer`]'s answer to [`reserve`](Pacer::reserve).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pace {
    /// Send now. The ticket goes back to [`Pacer::observe`] with the answer.
    Go(Ticket),
    /// Wait this long, then ask again.
    Wait(Duration),
}

/// Numbers the requests a [`Pacer`] let through, in the order it let them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// What one answer said about the rate limit.
///
/// Read from `X-RateLimit-Limit`, `X-RateLimit-Remaining`,
/// `X-RateLimit-Reset` (epoch seconds, or seconds from now when small) and
/// `Retry-After` (seconds or an HTTP date); every field is `None` when its
/// header is missing or does not parse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimitSignal {
    /// The answer's status; `None` when no answer came.
    pub status: Option<u16>,
    /// The requests allowed per window.
    pub limit: Option<u64>,
    /// The requests left in the current window.
    pub remaining: Option<u64>,
    /// When the current window ends.
    pub reset: Option<SystemTime>,
    /// How long the API asked clients to wait. [`from_headers`](Self::from_headers)
    /// keeps it as sent; the client cuts it to its
    /// [`RetryPolicy::retry_after_limit`](crate::RetryPolicy::retry_after_limit)
    /// before a pacer observes it.
    pub retry_after: Option<Duration>,
}

/// The longest wait any setting allows, so that adding a wait to a point
/// in time cannot overflow.
pub(crate) const LONGEST_WAIT: Duration = Duration::from_secs(24 * 60 * 60);

/// How often requests held back for a guessed window ask again while they
/// wait for the answers that tell how much of it is left.
const ANSWER_POLL: Duration = Duration::from_millis(25);

/// `X-RateLimit-Reset` values below this are seconds from now, not epoch
/// seconds (this is in 1973).
const EPOCH_THRESHOLD: u64 = 100_000_000;

impl RateLimitSignal {
    /// The signal of an answer with these headers and this status.
    pub fn from_headers(status: u16, headers: &HeaderMap) -> Self {
        let number =
            |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let now = SystemTime::now();
        let reset = number("x-ratelimit-reset").and_then(|reset| {
            let base = if reset < EPOCH_THRESHOLD {
                now
            } else {
                SystemTime::UNIX_EPOCH
            };
            base.checked_add(Duration::from_secs(reset))
        });
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, now));
        RateLimitSignal {
            status: Some(status),
            limit: number("x-ratelimit-limit"),
            remaining: number("x-ratelimit-remaining"),
            reset,
            retry_after,
        }
    }

    /// The signal of a request that got no answer.
    pub fn no_answer() -> Self {
        RateLimitSignal::default()
    }
}

/// `Retry-After` as whole (or fractional) seconds, or as an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Pacing turned off: every request goes at once.
///
/// `429` answers are still retried after their `Retry-After`, batch by batch.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoPacing;

impl Pacer for NoPacing {
    fn reserve(&self) -> PacerFuture<'_, Pace> {
        Box::pin(std::future::ready(Pace::Go(Ticket(0))))
    }

    fn observe(&self, _: Ticket, _: RateLimitSignal) -> PacerFuture<'_, ()> {
        Box::pin(std::future::ready(()))
    }
}

/// The default [`Pacer`]: keeps the rate-limit state of one process in
/// memory.
///
/// The rule:
/// - it counts down the requests left in the window from
///   `X-RateLimit-Remaining`, less every request it let through after the
///   one that answered (those may not be counted yet), and lets requests go
///   while some are left;
/// - when none are left, every request waits for the window to end
///   (`X-RateLimit-Reset`); then as many go as the window allows
///   (`X-RateLimit-Limit`), until answers tell how many are left;
/// - when the API did not say when the window ends, requests wait
///   [`fallback_wait`](Self::fallback_wait), then one goes alone to learn
///   whether the window is over;
/// - a `Retry-After` on any answer holds every request back that long.
///
/// Before the first answer it knows nothing, and lets requests go.
#[derive(Debug)]
pub struct InProcessPacer {
    state: Mutex<State>,
    fallback_wait: Duration,
    max_wait: Duration,
}

#[derive(Debug)]
struct State {
    /// The next ticket to hand out.
    next_ticket: u64,
    /// No request goes before this instant (`Retry-After`, or an exhausted
    /// window).
    paused_until: Option<Instant>,
    /// The current window, as far as the answers tell; `None` lets every
    /// request go.
    window: Option<Window>,
    /// The requests allowed per window, once an answer said.
    limit: Option<u64>,
}

#[derive(Debug)]
struct Window {
    /// Requests that may still go in this window.
    remaining: u64,
    /// When the window ends, if the API said.
    reset: Option<Instant>,
    /// The `X-RateLimit-Reset` that identifies the window, if any.
    reset_at: Option<SystemTime>,
    /// The first ticket handed out in this window: answers to earlier ones
    /// belong to an earlier window.
    first_ticket: u64,
    /// Whether an answer from this window has come yet; until then,
    /// `remaining` is a guess that the first answer replaces.
    heard: bool,
}

impl Window {
    /// A window no answer has told about yet, allowing `remaining` requests.
    fn guessed(remaining: u64, first_ticket: u64) -> Self {
        Window {
            remaining,
            reset: None,
            reset_at: None,
            first_ticket,
            heard: false,
        }
    }
}

impl Default for InProcessPacer {
    fn default() -> Self {
        InProcessPacer::new()
    }
}

impl InProcessPacer {
    /// A pacer that has heard nothing yet.
    pub fn new() -> Self {
        InProcessPacer {
            state: Mutex::new(State {
                next_ticket: 0,
                paused_until: None,
                window: None,
                limit: None,
            }),
            fallback_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(120),
        }
    }

    /// How long to wait when the window is used up and the API did not say
    /// when it ends; one second unless set, and at most a day.
    #[must_use]
    pub fn fallback_wait(mut self, wait: Duration) -> Self {
        self.fallback_wait = wait.min(LONGEST_WAIT);
        self
    }

    /// The longest any one wait may be, whatever the API asks; two minutes
    /// unless set, and at most a day.
    #[must_use]
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait.min(LONGEST_WAIT);
        self
    }

    fn reserve_now(&self, now: Instant) -> Pace {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);

        if let Some(until) = state.paused_until {
            if until > now {
                return Pace::Wait(until - now);
            }
            state.paused_until = None;
        }

        // A window that has ended says nothing about the next one but its
        // size: let that many go until an answer tells more.
        let next_ticket = state.next_ticket;
        if let Some(window) = &state.window {
            if window.reset.is_some_and(|reset| reset <= now) {
                state.window = state.limit.map(|limit| Window::guessed(limit, next_ticket));
            }
        }

        if let Some(window) = &mut state.window {
            if window.remaining == 0 && !window.heard {
                // The guess is used up: wait for the answers to tell more.
                return Pace::Wait(ANSWER_POLL.min(self.fallback_wait));
            }
            if window.remaining == 0 {
                let (wait, next) = match window.reset {
                    Some(reset) => (reset.saturating_duration_since(now), state.limit),
                    // When the window ends is unknown: after the wait, one
                    // request finds out.
                    None => (self.fallback_wait, Some(1)),
                };
                let wait = wait.min(self.max_wait);
                state.paused_until = Some(now + wait);
                state.window = next.map(|remaining| Window::guessed(remaining, next_ticket));
                return Pace::Wait(wait);
            }
            window.remaining -= 1;
        }

        state.next_ticket += 1;
        Pace::Go(Ticket(next_ticket))
    }

    fn observe_now(&self, ticket: Ticket, signal: RateLimitSignal, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);

        if let Some(wait) = signal.retry_after {
            let until = now + wait.min(self.max_wait);
            if state.paused_until.is_none_or(|paused| paused < until) {
                state.paused_until = Some(until);
            }
        }

        if signal.limit.is_some() {
            state.limit = signal.limit;
        }
        let remaining = match signal.remaining {
            Some(remaining) => remaining,
            // A 429 without the headers still says the window is used up.
            None if signal.status == Some(429) => 0,
            None => {
                // No news: a request let through on a guess gives its place
                // back, so that the next one can find out instead.
                if let Some(window) = &mut state.window {
                    if !window.heard && ticket.0 >= window.first_ticket {
                        window.remaining += 1;
                    }
                }
                return;
            }
        };
        // An answer from a window that has ended says nothing about this one.
        let wall_now = SystemTime::now();
        if signal.reset.is_some_and(|reset| reset <= wall_now) {
            return;
        }

        // Requests let through after this one may not have been counted in
        // its answer yet: count them as spent.
        let sent_since = state.next_ticket.saturating_sub(ticket.0 + 1);
        let remaining = remaining.saturating_sub(sent_since);
        let reset = signal
            .reset
            .map(|reset| {
                let from_now = reset.duration_since(wall_now).unwrap_or(Duration::ZERO);
                now + from_now.min(self.max_wait)
            })
            // A refusal that only says when to come back ends the window then.
            .or_else(|| {
                let wait = signal.retry_after.filter(|_| signal.status == Some(429))?;
                Some(now + wait.min(self.max_wait))
            });
        let answered = Window {
            remaining,
            reset,
            reset_at: signal.reset,
            first_ticket: ticket.0,
            heard: true,
        };

        let Some(window) = &mut state.window else {
            state.window = Some(answered);
            return;
        };
        // Which window the answer is from: by `X-RateLimit-Reset` when both
        // have one, else by whether it was let through before this window.
        let from = match (window.reset_at, signal.reset) {
            (Some(current), Some(answer)) => answer.cmp(&current),
            _ if ticket.0 >= window.first_ticket => Ordering::Equal,
            _ => Ordering::Less,
        };
        match from {
            Ordering::Less => {}
            Ordering::Greater => *window = answered,
            Ordering::Equal => {
                // Answers arrive out of order: keep the lowest count, except
                // over a guess.
                window.remaining = if window.heard {
                    window.remaining.min(remaining)
                } else {
                    remaining
                };
                window.heard = true;
                if window.reset.is_none() {
                    window.reset = answered.reset;
                    window.reset_at = answered.reset_at;
                }
            }
        }
    }
}

impl Pacer for InProcessPacer {
    fn reserve(&self) -> PacerFuture<'_, Pace> {
        Box::pin(std::future::ready(self.reserve_now(Instant::now())))
    }

    fn observe(&self, ticket: Ticket, signal: RateLimitSignal) -> PacerFuture<'_, ()> {
        self.observe_now(ticket, signal, Instant::now());
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn go(pacer: &InProcessPacer, now: Instant) -> Ticket {
        match pacer.reserve_now(now) {
            Pace::Go(ticket) => ticket,
            Pace::Wait(wait) => panic!("expected to go, told to wait {wait:?}"),
        }
    }

    fn signal(remaining: u64, reset_in: u64) -> RateLimitSignal {
        RateLimitSignal {
            status: Some(201),
            limit: Some(10),
            remaining: Some(remaining),
            reset: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(4_000_000_000 + reset_in)),
            retry_after: None,
        }
    }

    #[test]
    fn goes_freely_until_it_hears_of_a_limit() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        for expected in 0..100 {
            assert_eq!(go(&pacer, now), Ticket(expected));
        }
    }

    #[test]
    fn waits_for_the_window_once_it_is_used_up() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let first = go(&pacer, now);
        pacer.observe_now(first, signal(2, 30), now);
        go(&pacer, now);
        go(&pacer, now);
        assert!(matches!(pacer.reserve_now(now), Pace::Wait(wait) if wait > Duration::ZERO));
    }

    #[test]
    fn counts_requests_sent_after_the_one_that_answered() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let first = go(&pacer, now);
        for _ in 0..3 {
            go(&pacer, now);
        }
        // The API counted only the first: 4 left for it, 1 for us.
        pacer.observe_now(first, signal(4, 30), now);
        go(&pacer, now);
        assert!(matches!(pacer.reserve_now(now), Pace::Wait(_)));
    }

    #[test]
    fn keeps_the_lowest_count_of_one_window() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let a = go(&pacer, now);
        let b = go(&pacer, now);
        pacer.observe_now(b, signal(0, 30), now);
        pacer.observe_now(a, signal(5, 30), now);
        assert!(matches!(pacer.reserve_now(now), Pace::Wait(_)));
    }

    #[test]
    fn retry_after_holds_every_request_back() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let ticket = go(&pacer, now);
        let refused = RateLimitSignal {
            status: Some(429),
            retry_after: Some(Duration::from_secs(3)),
            ..RateLimitSignal::default()
        };
        pacer.observe_now(ticket, refused, now);
        assert_eq!(pacer.reserve_now(now), Pace::Wait(Duration::from_secs(3)));
        assert!(matches!(
            pacer.reserve_now(now + Duration::from_secs(3)),
            Pace::Go(_)
        ));
    }

    #[test]
    fn after_the_window_ends_lets_its_size_go_until_answers_tell_more() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let first = go(&pacer, now);
        pacer.observe_now(first, signal(1, 30), now);
        go(&pacer, now);
        let Pace::Wait(wait) = pacer.reserve_now(now) else {
            panic!("the window is used up");
        };
        let later = now + wait;
        for _ in 0..10 {
            go(&pacer, later);
        }
        assert!(matches!(pacer.reserve_now(later), Pace::Wait(_)));
    }

    #[test]
    fn without_a_reset_one_request_finds_out_whether_the_window_is_over() {
        let pacer = InProcessPacer::new().fallback_wait(Duration::from_millis(500));
        let now = Instant::now();
        let first = go(&pacer, now);
        let no_reset = |remaining| RateLimitSignal {
            status: Some(201),
            limit: Some(60),
            remaining: Some(remaining),
            ..RateLimitSignal::default()
        };
        pacer.observe_now(first, no_reset(0), now);
        assert_eq!(
            pacer.reserve_now(now),
            Pace::Wait(Duration::from_millis(500))
        );

        let later = now + Duration::from_millis(500);
        let probe = go(&pacer, later);
        assert!(
            matches!(pacer.reserve_now(later), Pace::Wait(_)),
            "one goes alone"
        );
        // A late answer from the old window changes nothing.
        pacer.observe_now(first, no_reset(7), later);
        assert!(matches!(pacer.reserve_now(later), Pace::Wait(_)));
        // The probe's answer opens the window.
        pacer.observe_now(probe, no_reset(59), later + Duration::from_millis(500));
        let after = later + Duration::from_secs(1);
        for _ in 0..59 {
            go(&pacer, after);
        }
        assert!(matches!(pacer.reserve_now(after), Pace::Wait(_)));
    }

    #[test]
    fn answers_from_an_earlier_window_are_ignored() {
        let pacer = InProcessPacer::new();
        let now = Instant::now();
        let a = go(&pacer, now);
        let b = go(&pacer, now);
        pacer.observe_now(b, signal(50, 60), now);
        pacer.observe_now(a, signal(0, 30), now);
        assert!(matches!(pacer.reserve_now(now), Pace::Go(_)));
    }

    #[test]
    fn caps_absurd_waits() {
        let pacer = InProcessPacer::new().max_wait(Duration::from_secs(5));
        let now = Instant::now();
        let ticket = go(&pacer, now);
        let refused = RateLimitSignal {
            status: Some(429),
            retry_after: Some(Duration::from_secs(86_400)),
            ..RateLimitSignal::default()
        };
        pacer.observe_now(ticket, refused, now);
        assert_eq!(pacer.reserve_now(now), Pace::Wait(Duration::from_secs(5)));
    }

    #[test]
    fn absurd_headers_are_capped_not_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-ratelimit-reset",
            HeaderValue::from_static("18446744073709551615"),
        );
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("9999999999999"));
        let signal = RateLimitSignal::from_headers(429, &headers);
        assert_eq!(signal.reset, None);
        assert_eq!(
            signal.retry_after,
            Some(Duration::from_secs(9_999_999_999_999))
        );

        let pacer = InProcessPacer::new().max_wait(Duration::MAX);
        let now = Instant::now();
        let ticket = go(&pacer, now);
        pacer.observe_now(ticket, signal, now);
        assert_eq!(pacer.reserve_now(now), Pace::Wait(LONGEST_WAIT));
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }
}
