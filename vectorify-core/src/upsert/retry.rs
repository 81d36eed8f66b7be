//! When a batch is sent again: how many times, after how long, and for how
//! long in all.

use std::time::Duration;

use super::pacing::LONGEST_WAIT;

/// How a batch is retried after a server error, a `429`, a broken connection
/// or a timeout.
///
/// Retrying an upsert is safe: the API replaces items by id, so a batch sent
/// twice stores each item once. Waits grow exponentially from
/// [`initial_backoff`](Self::initial_backoff) up to
/// [`max_backoff`](Self::max_backoff), each drawn at random between half and
/// all of its step so that batches refused together do not come back
/// together. A `Retry-After` from the API replaces the step, capped at
/// [`max_retry_after`](Self::max_retry_after).
///
/// The defaults: 5 attempts, waits from 500 ms doubling up to 30 s,
/// `Retry-After` honoured up to 2 minutes, and at most 5 minutes from a
/// batch's first attempt to its last. No wait or limit is longer than a day.
///
/// ```
/// use std::time::Duration;
/// use vectorify_core::{Client, RetryPolicy};
///
/// let client = Client::builder()
///     .api_key("my-key")
///     .retry_policy(
///         RetryPolicy::default()
///             .max_attempts(8)
///             .max_elapsed(Duration::from_secs(600)),
///     )
///     .build()?;
/// # Ok::<(), vectorify_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// One attempt per batch, no retries.
    pub fn no_retries() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Attempts per batch, the first included; at least 1.
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry; later waits double.
    #[must_use]
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait.min(LONGEST_WAIT);
        self
    }

    /// The longest wait between two attempts, unless the API asks for more
    /// with `Retry-After`.
    #[must_use]
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait.min(LONGEST_WAIT);
        self
    }

    /// The longest `Retry-After` honoured; a longer one is cut to this, both
    /// for the retry of the request that got it and for the pacer, which
    /// holds every request back that long.
    #[must_use]
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait.min(LONGEST_WAIT);
        self
    }

    /// The longest time from a batch's first attempt to its last: a retry
    /// that would start later is not made.
    #[must_use]
    pub fn max_elapsed(mut self, elapsed: Duration) -> Self {
        self.max_elapsed = elapsed.min(LONGEST_WAIT);
        self
    }

    /// Attempts per batch, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest time from a batch's first attempt to its last.
    pub fn elapsed_limit(&self) -> Duration {
        self.max_elapsed
    }

    /// The longest `Retry-After` honoured, by the retry and by the pacer's
    /// hold on every other request alike.
    pub fn retry_after_limit(&self) -> Duration {
        self.max_retry_after
    }

    /// The wait after the `attempt`-th attempt failed (counting from 1).
    pub(crate) fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(asked) = retry_after {
            // What the API asked for, and a little more at random so that the
            // batches it held back do not all return in the same instant.
            let asked = asked.min(self.max_retry_after);
            let spread = (asked / 10).min(Duration::from_millis(500));
            return asked + spread.mul_f64(fastrand::f64());
        }

        let doublings = attempt.saturating_sub(1).min(31);
        let step = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        step / 2 + (step / 2).mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_stay_under_the_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(1));
        for _ in 0..100 {
            let first = policy.wait(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.wait(3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.wait(40, None);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[test]
    fn honours_retry_after_up_to_the_cap() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        let wait = policy.wait(1, Some(Duration::from_secs(2)));
        assert!(wait >= Duration::from_secs(2) && wait <= Duration::from_millis(2200));
        let capped = policy.wait(1, Some(Duration::from_secs(86_400)));
        assert!(capped >= Duration::from_secs(10) && capped <= Duration::from_millis(10_500));
    }

    #[test]
    fn absurd_settings_do_not_overflow() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX)
            .max_retry_after(Duration::MAX);
        assert!(policy.wait(64, None) <= LONGEST_WAIT);
        assert!(policy.wait(1, Some(Duration::MAX)) <= LONGEST_WAIT * 2);
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(RetryPolicy::default().max_attempts(0).attempts(), 1);
    }
}
