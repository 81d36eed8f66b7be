//! A run: batches written from the input as room frees up, a bounded number
//! in flight, each settled (sent, retried, cut or trimmed) until every item
//! is accepted or failed for a known reason.

use std::borrow::Borrow;
use std::fmt;
use std::pin::pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use futures_util::stream::{self, Stream, StreamExt};
use tracing::{Instrument, debug, debug_span, info, info_span, warn};

use super::account::{Failure, UpsertError, UpsertReport};
use super::batch::{Batch, BatchWriter, MAX_BATCH_SIZE, Written};
use super::pacing::{Ticket, take_turn};
use super::progress::{Progress, ProgressEvent, ProgressFn};
use super::send::{self, Answer};
use crate::Vectorify;
use crate::api::UpsertReceipt;
use crate::client::Inner;
use crate::error::{ApiError, Error};

/// How many times the valid items of a refused batch are sent again without
/// the items the API named.
const MAX_RESENDS: u32 = 2;

/// Batches of at most `batch_size` items, with the items that could not be
/// written on the way.
struct Chunk {
    batch: Option<Batch>,
    rejected: Vec<Failure>,
}

/// A run's shared state: the client, the counts, and whether the API has
/// refused the run as a whole.
pub(crate) struct Run<'c> {
    client: &'c Inner,
    collection: &'static str,
    prefix: bytes::Bytes,
    started: Instant,
    total: Option<u64>,
    progress: Option<ProgressFn>,
    counts: Mutex<UpsertReport>,
    failed: Mutex<u64>,
    /// Set when the API refused the run as a whole; shared with the
    /// producer, which then only collects the ids of the items left.
    refusal: Arc<Mutex<Option<ApiError>>>,
    /// The body of the last answer that accepted a batch.
    receipt: Mutex<Vec<u8>>,
}

/// What delivering a batch came to.
enum Outcome {
    /// With the body of the API's answer.
    Accepted(Vec<u8>),
    TooLarge,
    Refused(ApiError),
    Failed(Error),
}

impl<'c> Run<'c> {
    fn new<T: Vectorify>(
        client: &'c Inner,
        writer: &BatchWriter,
        total: Option<u64>,
        progress: Option<ProgressFn>,
    ) -> Self {
        Run {
            client,
            collection: T::SLUG,
            prefix: bytes::Bytes::copy_from_slice(writer.prefix()),
            started: Instant::now(),
            total,
            progress,
            counts: Mutex::new(UpsertReport::default()),
            failed: Mutex::new(0),
            refusal: Arc::default(),
            receipt: Mutex::default(),
        }
    }

    fn count<R>(&self, change: impl FnOnce(&mut UpsertReport) -> R) -> R {
        change(&mut self.counts.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn report(&self, event: ProgressEvent) {
        let Some(progress) = &self.progress else {
            return;
        };
        let snapshot = {
            let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
            Progress {
                event,
                total: self.total,
                accepted: counts.items,
                failed: *self.failed.lock().unwrap_or_else(PoisonError::into_inner),
                batches: counts.batches,
                retries: counts.retries,
                elapsed: self.started.elapsed(),
            }
        };
        (progress.0)(&snapshot);
    }

    fn record_failures(&self, failures: &[Failure]) {
        let items: usize = failures.iter().map(|failure| failure.items.len()).sum();
        if items == 0 {
            return;
        }
        *self.failed.lock().unwrap_or_else(PoisonError::into_inner) += items as u64;
        self.report(ProgressEvent::Failed { items });
    }

    fn refusal(&self) -> Option<ApiError> {
        self.refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Settles the items of one chunk: every one ends accepted or in the
    /// returned failures.
    async fn settle(&self, chunk: Chunk) -> Vec<Failure> {
        let mut failures = chunk.rejected;
        self.record_failures(&failures);
        if let Some(batch) = chunk.batch {
            let span = debug_span!(
                "batch",
                batch = batch.number,
                items = batch.len(),
                bytes = batch.body.len(),
            );
            let before = failures.len();
            self.settle_batch(batch, &mut failures)
                .instrument(span)
                .await;
            self.record_failures(&failures[before..]);
        }
        failures
    }

    async fn settle_batch(&self, batch: Batch, failures: &mut Vec<Failure>) {
        // Parts of the batch still to send: halves of a batch too large, the
        // valid rest of a batch refused for some of its items.
        let mut queue = vec![batch];
        while let Some(batch) = queue.pop() {
            if let Some(refusal) = self.refusal() {
                failures.push(failure(&batch, Error::Api(refusal), 0));
                continue;
            }

            let (outcome, attempts) = self.deliver(&batch).await;
            match outcome {
                Outcome::Accepted(body) => {
                    *self.receipt.lock().unwrap_or_else(PoisonError::into_inner) = body;
                    self.count(|counts| {
                        counts.items += batch.len() as u64;
                        counts.batches += 1;
                    });
                    self.report(ProgressEvent::Accepted { items: batch.len() });
                }
                Outcome::TooLarge => {
                    self.client.learn_body_limit(batch.body.len());
                    if batch.len() > 1 {
                        let (first, second) = batch.halves(&self.prefix);
                        debug!(
                            items = batch.len(),
                            "the API found the batch too large: sending it in halves"
                        );
                        self.count(|counts| counts.splits += 1);
                        queue.push(second);
                        queue.push(first);
                    } else {
                        let id = batch
                            .entries
                            .first()
                            .map(|entry| entry.id.clone())
                            .unwrap_or_default();
                        let error = Error::ItemTooLarge {
                            collection: self.collection,
                            id,
                            bytes: batch.body.len(),
                        };
                        failures.push(failure(&batch, error, attempts));
                    }
                }
                Outcome::Refused(error) => {
                    self.refused(batch, error, attempts, &mut queue, failures);
                }
                Outcome::Failed(error) => failures.push(failure(&batch, error, attempts)),
            }
        }
    }

    /// A batch the API refused: the items its field errors name fail, and the
    /// others are sent again without them. An answer that names no item
    /// refuses the request as such (a bad key, a bad collection) and would
    /// refuse every batch: the run stops sending.
    fn refused(
        &self,
        batch: Batch,
        error: ApiError,
        attempts: u32,
        queue: &mut Vec<Batch>,
        failures: &mut Vec<Failure>,
    ) {
        let named: Vec<usize> = error
            .item_positions()
            .into_iter()
            .filter(|&position| position < batch.len())
            .collect();

        if named.is_empty() {
            warn!(status = error.status, error = %error, "the API refused the run: sending no more batches");
            let mut refusal = self.refusal.lock().unwrap_or_else(PoisonError::into_inner);
            refusal.get_or_insert_with(|| error.clone());
            drop(refusal);
            failures.push(failure(&batch, Error::Api(error), attempts));
            return;
        }
        if batch.len() == 1 {
            failures.push(failure(&batch, Error::Api(error), attempts));
            return;
        }

        for &position in &named {
            let one = batch.select(&self.prefix, &[position]);
            failures.push(failure(
                &one,
                Error::Api(error.for_item(position)),
                attempts,
            ));
        }
        let rest: Vec<usize> = (0..batch.len())
            .filter(|index| !named.contains(index))
            .collect();
        if rest.is_empty() {
            return;
        }
        let mut rest = batch.select(&self.prefix, &rest);
        if batch.resends < MAX_RESENDS {
            debug!(
                refused = named.len(),
                resent = rest.len(),
                "the API refused some items: sending the others again"
            );
            rest.resends += 1;
            queue.push(rest);
        } else {
            failures.push(failure(&rest, Error::Api(error), attempts));
        }
    }

    /// Sends a batch until it is accepted, refused, or out of retries.
    async fn deliver(&self, batch: &Batch) -> (Outcome, u32) {
        let policy = &self.client.retry;
        let mut first_sent = None;
        let mut attempt = 0;
        loop {
            let ticket = self.pace().await;
            attempt += 1;
            let first_sent = *first_sent.get_or_insert_with(Instant::now);
            self.count(|counts| counts.requests += 1);

            let sent = Instant::now();
            let (answer, signal) = send::attempt(self.client, batch.body.clone()).await;
            self.client.pacer.observe(ticket, signal).await;
            let status = answer.status();
            let elapsed_ms = sent.elapsed().as_millis() as u64;

            let (error, retry_after) = match answer {
                Answer::Accepted { status, body } => {
                    debug!(attempt, status, elapsed_ms, "batch accepted");
                    return (Outcome::Accepted(body), attempt);
                }
                Answer::TooLarge(error) => {
                    debug!(
                        attempt,
                        status = error.status,
                        elapsed_ms,
                        "batch too large"
                    );
                    return (Outcome::TooLarge, attempt);
                }
                Answer::Refused(error) => {
                    warn!(attempt, status = error.status, error = %error, "batch refused");
                    return (Outcome::Refused(error), attempt);
                }
                Answer::Broken(error) => {
                    warn!(attempt, error = %Chain(&error), "batch could not be sent");
                    return (Outcome::Failed(error), attempt);
                }
                Answer::Retry { error, retry_after } => (error, retry_after),
            };

            if attempt >= policy.attempts() {
                warn!(attempt, status, error = %Chain(&error), "batch failed: no attempts left");
                return (Outcome::Failed(error), attempt);
            }
            let wait = policy.wait(attempt, retry_after);
            if first_sent.elapsed() + wait > policy.elapsed_limit() {
                warn!(attempt, status, error = %Chain(&error), "batch failed: out of time for retries");
                return (Outcome::Failed(error), attempt);
            }

            let wait_ms = wait.as_millis() as u64;
            info!(attempt, status, wait_ms, error = %Chain(&error), "batch will be sent again");
            self.count(|counts| {
                counts.retries += 1;
                counts.waited += wait;
            });
            self.report(ProgressEvent::Retrying {
                items: batch.len(),
                attempt,
                wait,
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until the pacer lets a request go.
    async fn pace(&self) -> Ticket {
        take_turn(&*self.client.pacer, |wait| {
            self.count(|counts| counts.waited += wait);
            self.report(ProgressEvent::Paced { wait });
        })
        .await
    }
}

/// The failure of every item of `batch`.
fn failure(batch: &Batch, error: Error, attempts: u32) -> Failure {
    Failure {
        items: batch
            .entries
            .iter()
            .map(|entry| (entry.position, entry.id.clone()))
            .collect(),
        error,
        attempts,
    }
}

/// Joins the batches never sent after the API refused the run into one
/// failure: they share one cause.
fn merge_unsent(failures: Vec<Failure>) -> Vec<Failure> {
    let mut merged: Vec<Failure> = Vec::with_capacity(failures.len());
    let mut unsent: Option<usize> = None;
    for failure in failures {
        let refused_unsent = failure.attempts == 0 && matches!(failure.error, Error::Api(_));
        match unsent {
            Some(index) if refused_unsent => merged[index].items.extend(failure.items),
            _ => {
                if refused_unsent {
                    unsent = Some(merged.len());
                }
                merged.push(failure);
            }
        }
    }
    merged
}

/// An error and its causes on one line, for logs.
struct Chain<'a>(&'a Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// The error of an input that failed part way, boxed.
pub(crate) type InputError = Box<dyn std::error::Error + Send + Sync>;

/// Upserts every item of `input`, at most `in_flight` batches at a time. An
/// `Err` from the input ends the reading: the batches already written are
/// settled, and the error is reported with the account.
pub(crate) async fn upsert_many<T, B, S, E>(
    client: &Arc<Inner>,
    input: S,
    total: Option<u64>,
    progress: Option<ProgressFn>,
) -> Result<UpsertReport, Error>
where
    T: Vectorify,
    B: Borrow<T>,
    S: Stream<Item = Result<B, E>>,
    E: Into<InputError>,
{
    let writer = BatchWriter::new::<T>(client.batch_size, client.body_limit());
    let run = Run::new::<T>(client, &writer, total, progress);
    let span = info_span!(
        "upsert",
        collection = T::SLUG,
        batch_size = client.batch_size,
        in_flight = client.max_in_flight,
    );
    let input_error: Arc<Mutex<Option<InputError>>> = Arc::default();

    async {
        let chunks = stream::unfold(
            Producer {
                input: Box::pin(input),
                writer,
                position: 0,
                done: false,
                client: Arc::clone(client),
                input_error: Arc::clone(&input_error),
                refusal: Arc::clone(&run.refusal),
            },
            |mut producer| async move {
                let chunk = producer.next_chunk::<T, B, E>().await?;
                Some((chunk, producer))
            },
        );
        let mut settled = pin!(
            chunks
                .map(|chunk| run.settle(chunk))
                .buffer_unordered(client.max_in_flight)
        );
        let mut failures = Vec::new();
        while let Some(mut failed) = settled.next().await {
            failures.append(&mut failed);
        }

        run.count(|counts| counts.elapsed = run.started.elapsed());
        run.report(ProgressEvent::Finished);
        let report = run.count(|counts| counts.clone());
        let failed: usize = failures.iter().map(|failure| failure.items.len()).sum();
        info!(
            items = report.items,
            failed,
            batches = report.batches,
            requests = report.requests,
            retries = report.retries,
            elapsed_ms = report.elapsed.as_millis() as u64,
            "upsert finished"
        );

        let input_error = input_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if failures.is_empty() && input_error.is_none() {
            return Ok(report);
        }
        for failure in &mut failures {
            failure
                .items
                .sort_unstable_by_key(|(position, _)| *position);
        }
        failures
            .sort_unstable_by_key(|failure| failure.items.first().map(|(position, _)| *position));
        let failures = merge_unsent(failures);
        Err(Error::Upsert(Box::new(UpsertError {
            collection: T::SLUG,
            report,
            failures,
            input_error,
        })))
    }
    .instrument(span)
    .await
}

/// Upserts one item, and reads the API's receipt for it.
pub(crate) async fn upsert_one<T: Vectorify>(
    client: &Inner,
    record: &T,
) -> Result<UpsertReceipt, Error> {
    let mut writer = BatchWriter::new::<T>(1, client.body_limit());
    let batch = match writer.push(record, 0) {
        Written::Full(batch) => batch,
        Written::Rejected { error, .. } => return Err(error),
        Written::Added => match writer.finish() {
            Some(batch) => batch,
            None => return Ok(UpsertReceipt::default()),
        },
    };

    let run = Run::new::<T>(client, &writer, Some(1), None);
    let span = info_span!("upsert", collection = T::SLUG, id = %batch.entries.first().map(|entry| entry.id.as_str()).unwrap_or_default());
    let failures = run
        .settle(Chunk {
            batch: Some(batch),
            rejected: Vec::new(),
        })
        .instrument(span)
        .await;
    match failures.into_iter().next() {
        None => {
            let body = run.receipt.lock().unwrap_or_else(PoisonError::into_inner);
            Ok(UpsertReceipt::from_body(&body))
        }
        Some(failure) => Err(failure.error),
    }
}

/// Reads the input and writes it into batches, one chunk at a time, only
/// as fast as the run takes them.
struct Producer<S> {
    input: std::pin::Pin<Box<S>>,
    writer: BatchWriter,
    position: u64,
    done: bool,
    client: Arc<Inner>,
    /// Where the input's error goes, if it fails.
    input_error: Arc<Mutex<Option<InputError>>>,
    /// The API's refusal of the run, once it came.
    refusal: Arc<Mutex<Option<ApiError>>>,
}

impl<S> Producer<S> {
    async fn next_chunk<T, B, E>(&mut self) -> Option<Chunk>
    where
        T: Vectorify,
        B: Borrow<T>,
        S: Stream<Item = Result<B, E>>,
        E: Into<InputError>,
    {
        if self.done {
            return None;
        }
        self.writer.set_max_bytes(self.client.body_limit());
        let mut rejected = Vec::new();
        let refusal = self
            .refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(refusal) = refusal {
            return self.skip_chunk::<T, B, E>(refusal).await;
        }
        loop {
            let record = match self.input.next().await {
                Some(Ok(record)) => record,
                end => {
                    if let Some(Err(error)) = end {
                        let error = error.into();
                        warn!(items = self.position, error = %error, "reading the input failed: no more items are read");
                        *self
                            .input_error
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner) = Some(error);
                    }
                    self.done = true;
                    let batch = self.writer.finish();
                    if batch.is_none() && rejected.is_empty() {
                        return None;
                    }
                    return Some(Chunk { batch, rejected });
                }
            };

            let position = self.position;
            self.position += 1;
            match self.writer.push(record.borrow(), position) {
                Written::Added => {}
                Written::Full(batch) => {
                    return Some(Chunk {
                        batch: Some(batch),
                        rejected,
                    });
                }
                Written::Rejected { id, error } => {
                    warn!(id = %id, position, error = %Chain(&error), "item not sent");
                    rejected.push(Failure {
                        items: vec![(position, id)],
                        error,
                        attempts: 0,
                    });
                    // Hand over a long run of bad items without waiting for
                    // a good one, so that memory stays bounded.
                    if rejected.len() >= 1024 {
                        return Some(Chunk {
                            batch: None,
                            rejected,
                        });
                    }
                }
            }
        }
    }

    /// After the API refused the run, reads a batch's worth of items without
    /// writing them, to name them in the account.
    async fn skip_chunk<T, B, E>(&mut self, refusal: ApiError) -> Option<Chunk>
    where
        T: Vectorify,
        B: Borrow<T>,
        S: Stream<Item = Result<B, E>>,
        E: Into<InputError>,
    {
        let mut items = Vec::new();
        while items.len() < MAX_BATCH_SIZE {
            match self.input.next().await {
                Some(Ok(record)) => {
                    items.push((self.position, record.borrow().item_id().into_owned()));
                    self.position += 1;
                }
                Some(Err(error)) => {
                    *self
                        .input_error
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(error.into());
                    self.done = true;
                    break;
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        // What was written before the refusal is not sent either.
        if let Some(batch) = self.writer.finish() {
            items.extend(
                batch
                    .entries
                    .into_iter()
                    .map(|entry| (entry.position, entry.id)),
            );
        }
        if items.is_empty() {
            return None;
        }
        Some(Chunk {
            batch: None,
            rejected: vec![Failure {
                items,
                error: Error::Api(refusal),
                attempts: 0,
            }],
        })
    }
}
