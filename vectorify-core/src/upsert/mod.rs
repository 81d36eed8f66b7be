//! Upserts: items written into batches, sent a bounded number at a time,
//! retried and paced, and accounted for one by one.
//!
//! The data flows one way: each item is written straight into the JSON body
//! of a batch, a bounded number of batches are in flight, each is sent and
//! its answer sorted (accepted, refused, too large, worth another try), the
//! [`RetryPolicy`] and the [`Pacer`] decide when the next attempt goes, and
//! the outcome of every item ends in the [`UpsertReport`] or in an
//! [`UpsertError`].
//!
//! The common types are re-exported at the crate's root; this module also
//! holds what a custom [`Pacer`] needs ([`Pace`], [`Ticket`],
//! [`RateLimitSignal`], [`PacerFuture`]).

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use futures_util::stream::{self, Stream, StreamExt};

use crate::{Client, Error, Vectorify};

mod account;
mod batch;
mod finite;
mod pacing;
mod progress;
mod retry;
mod run;
pub(crate) mod send;

pub use account::{Failure, UpsertError, UpsertReport};
pub use batch::MAX_BATCH_SIZE;
#[cfg(feature = "redis")]
pub use pacing::{DEFAULT_REDIS_PREFIX, RedisPacer, RedisPacing};
pub use pacing::{InProcessPacer, NoPacing, Pace, Pacer, PacerFuture, RateLimitSignal, Ticket};
pub use progress::{Progress, ProgressEvent};
pub use retry::RetryPolicy;

pub(crate) use pacing::take_turn;
pub(crate) use progress::ProgressFn;
#[cfg(feature = "blocking")]
pub(crate) use run::upsert_many;
pub(crate) use run::upsert_one;

/// The future of a bulk upsert, boxed so that it can be named.
type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<UpsertReport, Error>> + Send + 'a>>;

/// Where a bulk upsert stands: configured, running, or over.
enum Stage<'a, In> {
    Ready(In),
    Running(RunFuture<'a>),
    Over,
}

impl<'a, In> Stage<'a, In> {
    /// Polls the run, starting it with `start` on the first poll.
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        start: impl FnOnce(In) -> RunFuture<'a>,
    ) -> Poll<Result<UpsertReport, Error>> {
        if let Stage::Ready(_) = self {
            if let Stage::Ready(input) = std::mem::replace(self, Stage::Over) {
                *self = Stage::Running(start(input));
            }
        }
        let Stage::Running(run) = self else {
            return Poll::Ready(Err(Error::Config(
                "this upsert has already been awaited to its end".into(),
            )));
        };
        let result = ready!(run.as_mut().poll(cx));
        *self = Stage::Over;
        Poll::Ready(result)
    }

    fn name(&self) -> &'static str {
        match self {
            Stage::Ready(_) => "ready",
            Stage::Running(_) => "running",
            Stage::Over => "over",
        }
    }
}

/// A bulk upsert of borrowed items, made by
/// [`Client::upsert_all`](crate::Client::upsert_all): a future that runs
/// the upsert when awaited. Set a progress callback first if you want one.
///
/// ```no_run
/// # use vectorify_core::{Client, Vectorify};
/// # async fn sync<T: Vectorify + Sync>(client: &Client, rows: Vec<T>) -> Result<(), vectorify_core::Error> {
/// let report = client
///     .upsert_all(&rows)
///     .on_progress(|progress| eprintln!("{} of {:?}", progress.done(), progress.total))
///     .await?;
/// println!("{} items in {} batches, {} retries", report.items, report.batches, report.retries);
/// # Ok(())
/// # }
/// ```
#[must_use = "an upsert does nothing until it is awaited"]
pub struct UpsertAll<'a, T, I> {
    client: Client,
    // Boxed so that the future is `Unpin` whatever the iterator.
    stage: Stage<'a, Box<I>>,
    progress: Option<ProgressFn>,
    record: PhantomData<fn() -> &'a T>,
}

impl<'a, T, I> UpsertAll<'a, T, I>
where
    I: IntoIterator<Item = &'a T>,
    T: Vectorify + 'a,
{
    pub(crate) fn new(client: Client, items: I) -> Self {
        UpsertAll {
            client,
            stage: Stage::Ready(Box::new(items)),
            progress: None,
            record: PhantomData,
        }
    }

    /// Calls `callback` each time a batch is accepted, fails or is retried,
    /// and when the run ends. The callback runs on the task that awaits the
    /// upsert: keep it short.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressFn(Arc::new(callback)));
        self
    }
}

impl<'a, T, I> Future for UpsertAll<'a, T, I>
where
    I: IntoIterator<Item = &'a T> + Send + 'a,
    I::IntoIter: Send + 'a,
    T: Vectorify + Sync + 'a,
{
    type Output = Result<UpsertReport, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let client = &this.client;
        let progress = &this.progress;
        this.stage.poll(cx, |items| {
            let client = client.clone();
            let progress = progress.clone();
            Box::pin(async move {
                let items = items.into_iter();
                let total = exact_size(items.size_hint());
                let items = stream::iter(items.map(Ok::<_, Infallible>));
                run::upsert_many::<T, _, _, _>(&client.inner, items, total, progress).await
            })
        })
    }
}

impl<T, I> std::fmt::Debug for UpsertAll<'_, T, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpsertAll")
            .field("client", &self.client)
            .field("stage", &self.stage.name())
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

/// A bulk upsert of items read from a [`Stream`], made by
/// [`Client::upsert_stream`](crate::Client::upsert_stream): a future that
/// runs the upsert when awaited.
///
/// The stream is read only as fast as batches leave: memory holds the
/// batches in flight and the one being written, whatever the length of the
/// input.
///
/// ```no_run
/// # use futures_util::stream;
/// # use vectorify_core::{Client, Vectorify};
/// # async fn sync<T: Vectorify + Send + Sync + 'static>(client: &Client, rows: impl Iterator<Item = T> + Send) -> Result<(), vectorify_core::Error> {
/// // Any `Stream` of owned items: a database cursor, a file read line by line.
/// let report = client.upsert_stream(stream::iter(rows)).await?;
/// # Ok(())
/// # }
/// ```
#[must_use = "an upsert does nothing until it is awaited"]
pub struct UpsertStream<'a, S: Stream> {
    // A stream that cannot fail is a stream of `Result`s that are all `Ok`:
    // one runner serves both.
    inner: UpsertTryStream<'a, Infallibly<S>>,
}

/// A stream's items as the `Ok`s of a stream that cannot fail.
type Infallibly<S> =
    stream::Map<S, fn(<S as Stream>::Item) -> Result<<S as Stream>::Item, Infallible>>;

impl<'a, S> UpsertStream<'a, S>
where
    S: Stream + 'a,
    S::Item: Vectorify,
{
    pub(crate) fn new(client: Client, stream: S) -> Self {
        let ok: fn(S::Item) -> Result<S::Item, Infallible> = Ok;
        UpsertStream {
            inner: UpsertTryStream::new(client, stream.map(ok)),
        }
    }

    /// Calls `callback` each time a batch is accepted, fails or is retried,
    /// and when the run ends. The callback runs on the task that awaits the
    /// upsert: keep it short.
    pub fn on_progress(self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        UpsertStream {
            inner: self.inner.on_progress(callback),
        }
    }

    /// How many items the stream will yield, if you know (a `COUNT(*)` run
    /// before the query, say); reported as [`Progress::total`].
    pub fn total(self, items: u64) -> Self {
        UpsertStream {
            inner: self.inner.total(items),
        }
    }
}

impl<'a, S> Future for UpsertStream<'a, S>
where
    S: Stream + Send + 'a,
    S::Item: Vectorify + Send,
{
    type Output = Result<UpsertReport, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.get_mut().inner).poll(cx)
    }
}

impl<S: Stream> std::fmt::Debug for UpsertStream<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("UpsertStream").field(&self.inner).finish()
    }
}

/// A bulk upsert of items read from a [`Stream`] of `Result`s, made by
/// [`Client::upsert_try_stream`](crate::Client::upsert_try_stream): a
/// future that runs the upsert when awaited.
///
/// The first `Err` of the stream ends the reading: the batches already
/// written are still sent, and the run ends with [`Error::Upsert`], whose
/// [`UpsertError::input_error`] is the stream's error and whose
/// [`failed_ids`](UpsertError::failed_ids) are the items read and not
/// accepted. Otherwise as [`UpsertStream`].
#[must_use = "an upsert does nothing until it is awaited"]
pub struct UpsertTryStream<'a, S> {
    client: Client,
    stage: Stage<'a, Pin<Box<S>>>,
    total: Option<u64>,
    progress: Option<ProgressFn>,
}

impl<'a, S, T, E> UpsertTryStream<'a, S>
where
    S: Stream<Item = Result<T, E>> + 'a,
    T: Vectorify,
{
    pub(crate) fn new(client: Client, stream: S) -> Self {
        UpsertTryStream {
            client,
            stage: Stage::Ready(Box::pin(stream)),
            total: None,
            progress: None,
        }
    }

    /// Calls `callback` each time a batch is accepted, fails or is retried,
    /// and when the run ends. The callback runs on the task that awaits the
    /// upsert: keep it short.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(ProgressFn(Arc::new(callback)));
        self
    }

    /// How many items the stream will yield, if you know; reported as
    /// [`Progress::total`].
    pub fn total(mut self, items: u64) -> Self {
        self.total = Some(items);
        self
    }
}

impl<'a, S, T, E> Future for UpsertTryStream<'a, S>
where
    S: Stream<Item = Result<T, E>> + Send + 'a,
    T: Vectorify + Send,
    E: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    type Output = Result<UpsertReport, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let client = &this.client;
        let progress = &this.progress;
        let total = this.total;
        this.stage.poll(cx, |stream| {
            let client = client.clone();
            let progress = progress.clone();
            Box::pin(async move {
                let total = total.or_else(|| exact_size(stream.size_hint()));
                run::upsert_many::<T, _, _, _>(&client.inner, stream, total, progress).await
            })
        })
    }
}

impl<S> std::fmt::Debug for UpsertTryStream<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpsertTryStream")
            .field("client", &self.client)
            .field("stage", &self.stage.name())
            .field("total", &self.total)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

/// The input's length, when its size hint is exact.
pub(crate) fn exact_size((lower, upper): (usize, Option<usize>)) -> Option<u64> {
    (upper == Some(lower)).then_some(lower as u64)
}
