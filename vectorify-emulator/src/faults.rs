//! What the emulator can be told to break: injected errors, dropped
//! connections, lost responses and latency, drawn from a seeded generator.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

/// The faults to inject into authenticated requests to the API's routes.
///
/// Each share is the probability, from `0.0` to `1.0`, that one request meets
/// that fault; at most one fault is drawn per request, in the order server
/// error, rate limit, dropped connection, lost response, so shares that add up
/// past `1.0` starve the later ones. Every request also waits
/// [`latency`](Faults::latency) plus a uniform draw from
/// `0..=`[`latency_jitter`](Faults::latency_jitter) before it is handled.
///
/// Draws are reproducible: the n-th request after the faults were set gets the
/// same fault for the same seed, whatever the timing.
///
/// ```
/// use std::time::Duration;
/// use vectorify_emulator::Faults;
///
/// let flaky = Faults::none()
///     .seed(7)
///     .server_errors(0.10)
///     .dropped_connections(0.05)
///     .latency(Duration::from_millis(20));
/// assert!(!flaky.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    seed: u64,
    server_errors: f64,
    rate_limited: f64,
    dropped_connections: f64,
    lost_responses: f64,
    latency: Duration,
    latency_jitter: Duration,
    retry_after: Duration,
}

impl Default for Faults {
    fn default() -> Self {
        Self::none()
    }
}

impl Faults {
    /// No faults and no latency: every request is answered as it should be.
    /// The seed is `0` until [`seed`](Faults::seed) sets another.
    pub fn none() -> Self {
        Self {
            seed: 0,
            server_errors: 0.0,
            rate_limited: 0.0,
            dropped_connections: 0.0,
            lost_responses: 0.0,
            latency: Duration::ZERO,
            latency_jitter: Duration::ZERO,
            retry_after: Duration::from_secs(1),
        }
    }

    /// The seed of the draws; the same seed and the same sequence of requests
    /// give the same faults.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The share of requests answered with a 500, 502 or 503, some with a
    /// JSON body and some with an HTML page as a proxy in front of the API
    /// would send. Nothing is stored.
    pub fn server_errors(mut self, share: f64) -> Self {
        self.server_errors = clamp_share(share);
        self
    }

    /// The share of requests answered with 429 `Too Many Attempts.` and a
    /// `Retry-After` of [`retry_after`](Faults::retry_after). Nothing is stored.
    pub fn rate_limited(mut self, share: f64) -> Self {
        self.rate_limited = clamp_share(share);
        self
    }

    /// The share of requests whose connection is closed before they are
    /// handled: the client gets no response and nothing is stored.
    pub fn dropped_connections(mut self, share: f64) -> Self {
        self.dropped_connections = clamp_share(share);
        self
    }

    /// The share of requests that are handled (an upsert's items are stored)
    /// but whose connection is then closed before any byte of the response is
    /// written, so the client never learns that they succeeded.
    pub fn lost_responses(mut self, share: f64) -> Self {
        self.lost_responses = clamp_share(share);
        self
    }

    /// A delay added to every request before it is handled.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// The most that is added at random on top of [`latency`](Faults::latency).
    pub fn latency_jitter(mut self, jitter: Duration) -> Self {
        self.latency_jitter = jitter;
        self
    }

    /// The `Retry-After` of injected 429 answers, in whole seconds (rounded
    /// up, at least one). One second unless set.
    pub fn retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// Whether these faults change nothing: no shares and no latency.
    pub fn is_none(&self) -> bool {
        self.server_errors == 0.0
            && self.rate_limited == 0.0
            && self.dropped_connections == 0.0
            && self.lost_responses == 0.0
            && self.latency.is_zero()
            && self.latency_jitter.is_zero()
    }

    /// The seed of the draws.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// The `Retry-After` of injected 429 answers, in whole seconds.
    pub(crate) fn retry_after_secs(&self) -> u64 {
        whole_seconds_at_least_one(self.retry_after)
    }
}

/// Rounds a wait up to whole seconds, never below one, as `Retry-After` carries it.
pub(crate) fn whole_seconds_at_least_one(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

fn clamp_share(share: f64) -> f64 {
    if share.is_nan() {
        0.0
    } else {
        share.clamp(0.0, 1.0)
    }
}

/// A fault that the emulator injected into one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// Answered with a 5xx instead of being handled.
    ServerError,
    /// Answered with an injected 429 instead of being handled.
    RateLimited,
    /// The connection was closed before the request was handled.
    DroppedConnection,
    /// The request was handled, then the connection was closed before the response.
    LostResponse,
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultKind::ServerError => "server-error",
            FaultKind::RateLimited => "rate-limited",
            FaultKind::DroppedConnection => "dropped-connection",
            FaultKind::LostResponse => "lost-response",
        })
    }
}

/// The 5xx answers a server error is drawn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ServerErrorPage {
    /// 500 with the backend's JSON body.
    InternalJson,
    /// 502 with a proxy's HTML page.
    BadGatewayHtml,
    /// 503 with the backend's JSON body.
    UnavailableJson,
    /// 503 with a proxy's HTML page.
    UnavailableHtml,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Decision {
    pub(crate) fault: Option<FaultKind>,
    pub(crate) latency: Duration,
    pub(crate) page: ServerErrorPage,
}

/// Draws a [`Decision`] per request from the configured [`Faults`].
#[derive(Debug)]
pub(crate) struct Dice {
    faults: Faults,
    drawn: u64,
}

impl Dice {
    pub(crate) fn new(faults: Faults) -> Self {
        Self { faults, drawn: 0 }
    }

    pub(crate) fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The decision for the next request. Each request gets its own generator
    /// seeded from the seed and its position, so a decision does not depend on
    /// how many numbers earlier decisions consumed.
    pub(crate) fn next(&mut self) -> Decision {
        let position = self.drawn;
        self.drawn += 1;
        if self.faults.is_none() {
            return Decision {
                fault: None,
                latency: Duration::ZERO,
                page: ServerErrorPage::InternalJson,
            };
        }

        let mut rng = fastrand::Rng::with_seed(mix(self.faults.seed, position));
        let roll = rng.f64();
        let jitter_nanos = u64::try_from(self.faults.latency_jitter.as_nanos()).unwrap_or(u64::MAX);
        let jitter = Duration::from_nanos(rng.u64(0..=jitter_nanos));
        let page = match rng.u8(0..4) {
            0 => ServerErrorPage::InternalJson,
            1 => ServerErrorPage::BadGatewayHtml,
            2 => ServerErrorPage::UnavailableJson,
            _ => ServerErrorPage::UnavailableHtml,
        };

        let f = &self.faults;
        let thresholds = [
            (f.server_errors, FaultKind::ServerError),
            (f.rate_limited, FaultKind::RateLimited),
            (f.dropped_connections, FaultKind::DroppedConnection),
            (f.lost_responses, FaultKind::LostResponse),
        ];
        let mut upper = 0.0;
        let mut fault = None;
        for (share, kind) in thresholds {
            upper += share;
            if roll < upper {
                fault = Some(kind);
                break;
            }
        }

        Decision {
            fault,
            latency: self.faults.latency.saturating_add(jitter),
            page,
        }
    }
}

/// Spreads (seed, position) over the seed space (the splitmix64 finalizer).
fn mix(seed: u64, position: u64) -> u64 {
    let mut z = seed ^ position.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(faults: &Faults, n: usize) -> Vec<Option<FaultKind>> {
        let mut dice = Dice::new(faults.clone());
        (0..n).map(|_| dice.next().fault).collect()
    }

    #[test]
    fn same_seed_draws_the_same_faults() {
        let faults = Faults::none()
            .seed(7)
            .server_errors(0.3)
            .lost_responses(0.3);
        assert_eq!(kinds(&faults, 200), kinds(&faults, 200));
        assert_ne!(kinds(&faults, 200), kinds(&faults.clone().seed(8), 200));
    }

    #[test]
    fn shares_are_roughly_kept() {
        let faults = Faults::none()
            .seed(1)
            .server_errors(0.25)
            .dropped_connections(0.25);
        let drawn = kinds(&faults, 4000);
        let errors = drawn
            .iter()
            .filter(|k| **k == Some(FaultKind::ServerError))
            .count();
        let dropped = drawn
            .iter()
            .filter(|k| **k == Some(FaultKind::DroppedConnection))
            .count();
        assert!((800..1200).contains(&errors), "{errors}");
        assert!((800..1200).contains(&dropped), "{dropped}");
    }

    #[test]
    fn shares_are_clamped() {
        let all = Faults::none().rate_limited(7.0);
        assert!(
            kinds(&all, 50)
                .iter()
                .all(|k| *k == Some(FaultKind::RateLimited))
        );
        let nothing = Faults::none().rate_limited(f64::NAN).server_errors(-1.0);
        assert!(nothing.is_none());
    }

    #[test]
    fn latency_stays_within_its_jitter() {
        let faults = Faults::none()
            .latency(Duration::from_millis(10))
            .latency_jitter(Duration::from_millis(5));
        let mut dice = Dice::new(faults);
        for _ in 0..100 {
            let latency = dice.next().latency;
            assert!(latency >= Duration::from_millis(10) && latency <= Duration::from_millis(15));
        }
    }
}
