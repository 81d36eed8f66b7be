//! A fixed-window request limit across the whole server, with the headers a
//! Laravel API sends.

use std::time::{Duration, Instant, SystemTime};

use crate::faults::whole_seconds_at_least_one;
use crate::time::epoch_seconds_ceil;

const YEAR: Duration = Duration::from_secs(365 * 86_400);

/// At most [`limit`](RateLimit::limit) requests per
/// [`window`](RateLimit::window), counted across the whole server.
///
/// A window opens with the first request after the previous one closed.
/// Requests past the limit are answered 429 and do not count.
///
/// ```
/// use std::time::Duration;
/// use vectorify_emulator::RateLimit;
///
/// assert_eq!(RateLimit::per_minute(60), RateLimit::new(60, Duration::from_secs(60)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    limit: u32,
    window: Duration,
}

impl RateLimit {
    /// `limit` requests per `window`; the window is kept between one
    /// millisecond and one year.
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit,
            window: window.clamp(Duration::from_millis(1), YEAR),
        }
    }

    /// `limit` requests per second.
    pub fn per_second(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(1))
    }

    /// `limit` requests per minute.
    pub fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// The requests allowed per window.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The length of a window.
    pub fn window(&self) -> Duration {
        self.window
    }
}

/// The rate-limit headers of one response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    pub(crate) limit: u32,
    pub(crate) remaining: u32,
    /// `X-RateLimit-Reset`: when the window closes, in epoch seconds.
    pub(crate) reset_epoch: u64,
    /// `Retry-After` in whole seconds, set when the request was refused.
    pub(crate) retry_after: Option<u64>,
}

/// The window state.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: Option<RateLimit>,
    window_end: Instant,
    used: u32,
}

impl Limiter {
    pub(crate) fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            window_end: Instant::now(),
            used: 0,
        }
    }

    /// Replaces the limit and starts a fresh window.
    pub(crate) fn set(&mut self, limit: Option<RateLimit>) {
        *self = Self::new(limit);
    }

    /// Counts one request; `None` when no limit is set.
    pub(crate) fn admit(&mut self) -> Option<Quota> {
        let limit = self.limit?;
        let now = Instant::now();
        if now >= self.window_end {
            self.window_end = now + limit.window;
            self.used = 0;
        }

        let until_reset = self.window_end.saturating_duration_since(now);
        let reset_epoch = epoch_seconds_ceil(SystemTime::now() + until_reset);
        if self.used >= limit.limit {
            return Some(Quota {
                limit: limit.limit,
                remaining: 0,
                reset_epoch,
                retry_after: Some(whole_seconds_at_least_one(until_reset)),
            });
        }

        self.used += 1;
        Some(Quota {
            limit: limit.limit,
            remaining: limit.limit - self.used,
            reset_epoch,
            retry_after: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_then_refuses() {
        let mut limiter = Limiter::new(Some(RateLimit::per_minute(2)));
        assert_eq!(limiter.admit().map(|q| q.remaining), Some(1));
        assert_eq!(limiter.admit().map(|q| q.remaining), Some(0));
        let refused = limiter.admit().and_then(|q| q.retry_after);
        assert!(matches!(refused, Some(59 | 60)), "{refused:?}");
    }

    #[test]
    fn no_limit_means_no_headers() {
        assert_eq!(Limiter::new(None).admit(), None);
    }
}
