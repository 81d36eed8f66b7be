//! The account of a run: what the API accepted, and exactly which items it
//! did not, and why.

use std::fmt;
use std::time::Duration;

use crate::Error;

/// What a bulk upsert did; the `Ok` of
/// [`Client::upsert_all`](crate::Client::upsert_all) and
/// [`Client::upsert_stream`](crate::Client::upsert_stream).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpsertReport {
    /// Items the API accepted.
    pub items: u64,
    /// Batches the API accepted (requests that stored items).
    pub batches: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Requests that were sent again after a failure.
    pub retries: u64,
    /// Batches cut in two because the API found them too large.
    pub splits: u64,
    /// Time spent waiting for the rate limit and between retries, added up
    /// over the batches in flight.
    pub waited: Duration,
    /// Time from the start of the run to its end.
    pub elapsed: Duration,
}

/// Some items of a bulk upsert were not accepted, or its input failed;
/// everything else was.
///
/// [`failed_ids`](Self::failed_ids) lists exactly the items that are not in
/// Vectorify after the run: nothing the API accepted is in it, and every item
/// it did not accept is. [`failures`](Self::failures) groups them by cause,
/// and [`report`](Self::report) counts what went through.
///
/// When the input itself failed ([`Client::upsert_try_stream`](crate::Client::upsert_try_stream)),
/// [`input_error`](Self::input_error) says how: the items read before it are
/// accounted for as above, and the items after it were never read.
#[derive(Debug)]
pub struct UpsertError {
    pub(crate) collection: &'static str,
    pub(crate) report: UpsertReport,
    pub(crate) failures: Vec<Failure>,
    pub(crate) input_error: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl UpsertError {
    /// The ids of the items not accepted, in input order.
    pub fn failed_ids(&self) -> Vec<&str> {
        let mut items: Vec<&(u64, String)> = self
            .failures
            .iter()
            .flat_map(|failure| &failure.items)
            .collect();
        items.sort_unstable_by_key(|(position, _)| *position);
        items.into_iter().map(|(_, id)| id.as_str()).collect()
    }

    /// The failures, in input order: each a group of items and its cause.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// What the run did get through.
    pub fn report(&self) -> &UpsertReport {
        &self.report
    }

    /// The collection of the run.
    pub fn collection(&self) -> &'static str {
        self.collection
    }

    /// The error that ended the reading of the input, if it failed.
    pub fn input_error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.input_error.as_deref()
    }

    /// How many items were not accepted.
    pub fn failed_count(&self) -> usize {
        self.failures
            .iter()
            .map(|failure| failure.items.len())
            .sum()
    }
}

/// How many failures the message of an [`UpsertError`] spells out.
const SHOWN_FAILURES: usize = 3;
/// How many ids of one failure the message spells out.
const SHOWN_IDS: usize = 5;

impl fmt::Display for UpsertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failed_count();
        let total = failed as u64 + self.report.items;
        if let Some(error) = &self.input_error {
            write!(
                f,
                "reading the items of collection {:?} failed after {total}: {error}; ",
                self.collection
            )?;
        }
        write!(
            f,
            "{failed} of {total} items of collection {:?} were not accepted",
            self.collection
        )?;
        for failure in self.failures.iter().take(SHOWN_FAILURES) {
            write!(f, "; {failure}")?;
        }
        if self.failures.len() > SHOWN_FAILURES {
            let more = self.failures.len() - SHOWN_FAILURES;
            write!(
                f,
                "; and {more} more failure{}",
                if more == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for UpsertError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.input_error
            .as_deref()
            .map(|error| error as &(dyn std::error::Error + 'static))
    }
}

/// A group of items not accepted, and why.
#[derive(Debug)]
pub struct Failure {
    /// Each item's position in the input, and its id.
    pub(crate) items: Vec<(u64, String)>,
    pub(crate) error: Error,
    pub(crate) attempts: u32,
}

impl Failure {
    /// The ids of the items, in input order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.items.iter().map(|(_, id)| id.as_str())
    }

    /// The items' positions in the input, counting from 0, in the order of
    /// [`ids`](Self::ids).
    pub fn positions(&self) -> impl Iterator<Item = u64> + '_ {
        self.items.iter().map(|(position, _)| *position)
    }

    /// Why the items were not accepted: the API's last answer, the last
    /// connection error, or why the items could not be sent.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// How many times the items were sent; 0 when they never were (an item
    /// that could not be written, or a run the API had already refused as a
    /// whole).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An error about one item already names it.
        let named = matches!(
            self.error,
            Error::Serialize { .. }
                | Error::NonFiniteNumber { .. }
                | Error::EmptyId { .. }
                | Error::ItemTooLarge { .. }
        );
        if !named {
            match self.items.as_slice() {
                [(_, id)] => write!(f, "item {id:?}: ")?,
                items => {
                    f.write_str("items ")?;
                    for (index, (_, id)) in items.iter().take(SHOWN_IDS).enumerate() {
                        if index > 0 {
                            f.write_str(", ")?;
                        }
                        write!(f, "{id:?}")?;
                    }
                    if items.len() > SHOWN_IDS {
                        write!(f, " and {} more", items.len() - SHOWN_IDS)?;
                    }
                    f.write_str(": ")?;
                }
            }
        }
        write!(f, "{}", self.error)?;
        // The cause of a broken connection or a bad item is one level down.
        let mut source = std::error::Error::source(&self.error);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        match self.attempts {
            0 if named => Ok(()),
            0 => f.write_str(" (not sent: the API had refused an earlier batch the same way)"),
            1 => Ok(()),
            attempts => write!(f, " (after {attempts} attempts)"),
        }
    }
}
