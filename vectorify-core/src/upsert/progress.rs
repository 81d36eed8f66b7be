//! Progress of a bulk run, told as it happens, for a progress bar or a log.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Where a bulk run stands, passed to the callback set with
/// [`UpsertAll::on_progress`](crate::UpsertAll::on_progress) or
/// [`UpsertStream::on_progress`](crate::UpsertStream::on_progress) each time
/// something happens.
///
/// ```no_run
/// # use vectorify_core::{Client, Vectorify};
/// # async fn sync<T: Vectorify + Sync>(client: &Client, rows: &[T]) -> Result<(), vectorify_core::Error> {
/// client
///     .upsert_all(rows)
///     .on_progress(|progress| {
///         if let Some(total) = progress.total {
///             eprint!("\r{}/{} items", progress.done(), total);
///         }
///     })
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// What just happened.
    pub event: ProgressEvent,
    /// The items the run will handle, when known before it starts (the
    /// input's exact size, or [`UpsertStream::total`](crate::UpsertStream::total)).
    pub total: Option<u64>,
    /// Items the API has accepted so far.
    pub accepted: u64,
    /// Items finally not accepted so far.
    pub failed: u64,
    /// Batches the API has accepted so far.
    pub batches: u64,
    /// Attempts made again so far.
    pub retries: u64,
    /// Time since the run started.
    pub elapsed: Duration,
}

impl Progress {
    /// Items settled so far, accepted or not: the position of a progress bar.
    pub fn done(&self) -> u64 {
        self.accepted + self.failed
    }
}

/// What happened in a bulk run.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// The API accepted a batch of this many items.
    Accepted {
        /// Items in the batch.
        items: usize,
    },
    /// This many items were finally not accepted (refused, unsendable, or
    /// out of retries).
    Failed {
        /// Items that failed.
        items: usize,
    },
    /// A batch will be sent again after a wait.
    Retrying {
        /// Items in the batch.
        items: usize,
        /// The attempt that failed, counting from 1.
        attempt: u32,
        /// The wait before the next one.
        wait: Duration,
    },
    /// The API's rate limit holds requests back for a while.
    Paced {
        /// The wait.
        wait: Duration,
    },
    /// The run is over: every item is accepted or failed.
    Finished,
}

/// The callback a run reports to.
#[derive(Clone)]
pub(crate) struct ProgressFn(pub(crate) Arc<dyn Fn(&Progress) + Send + Sync>);

impl fmt::Debug for ProgressFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressFn")
    }
}
