//! Upserts with the blocking client: one item, a borrowed collection, or an
//! iterator of owned items or of `Result`s.

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::stream;

use super::Client;
use crate::upsert::{self, ProgressFn};
use crate::{Error, Progress, UpsertReceipt, UpsertReport, Vectorify};

impl Client {
    /// Upserts one item and returns the API's receipt once it has accepted
    /// it; as [`Client::upsert`](crate::Client::upsert).
    ///
    /// ```no_run
    /// # use vectorify_core::Vectorify;
    /// # fn sync<T: Vectorify>(client: &vectorify_core::blocking::Client, invoice: &T) -> Result<(), vectorify_core::Error> {
    /// let receipt = client.upsert(invoice)?;
    /// println!("{:?}", receipt.result);
    /// # Ok(())
    /// # }
    /// ```
    pub fn upsert<T: Vectorify>(&self, item: &T) -> Result<UpsertReceipt, Error> {
        self.wait(upsert::upsert_one(&self.client().inner, item))
    }

    /// Upserts many borrowed items in batches, several in flight; as
    /// [`Client::upsert_all`](crate::Client::upsert_all), with the same
    /// exact account of the items not accepted. Call
    /// [`run`](UpsertAll::run) to send them.
    ///
    /// ```no_run
    /// # use vectorify_core::Vectorify;
    /// # fn sync<T: Vectorify>(client: &vectorify_core::blocking::Client, invoices: Vec<T>) {
    /// match client.upsert_all(&invoices).run() {
    ///     Ok(report) => println!("{} items in {} batches", report.items, report.batches),
    ///     Err(error) => {
    ///         eprintln!("{error}");
    ///         for id in error.failed_ids() {
    ///             // Mark the row for the next sync.
    ///             # let _ = id;
    ///         }
    ///     }
    /// }
    /// # }
    /// ```
    pub fn upsert_all<'a, T, I>(&self, items: I) -> UpsertAll<'a, T, I>
    where
        I: IntoIterator<Item = &'a T>,
        T: Vectorify + 'a,
    {
        UpsertAll {
            client: self.clone(),
            items,
            progress: None,
            record: PhantomData,
        }
    }

    /// Upserts the owned items of an iterator (rows of a database cursor,
    /// lines of a file), reading it only as batches leave, so that memory
    /// holds the batches in flight whatever the input's length; as
    /// [`Client::upsert_stream`](crate::Client::upsert_stream). The iterator
    /// runs on the calling thread and need not be `Send`.
    pub fn upsert_iter<I>(&self, items: I) -> UpsertIter<I>
    where
        I: IntoIterator,
        I::Item: Vectorify,
    {
        let ok: fn(I::Item) -> Result<I::Item, Infallible> = Ok;
        UpsertIter {
            inner: self.upsert_try_iter(items.into_iter().map(ok)),
        }
    }

    /// Upserts the items of an iterator of `Result`s, as a database driver
    /// yields rows: the first `Err` stops the reading, the batches already
    /// written are still sent, and the run ends with
    /// [`Error::Upsert`] carrying the error and the
    /// exact account of the items read; as
    /// [`Client::upsert_try_stream`](crate::Client::upsert_try_stream).
    pub fn upsert_try_iter<I, T, E>(&self, items: I) -> UpsertTryIter<I>
    where
        I: IntoIterator<Item = Result<T, E>>,
        T: Vectorify,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        UpsertTryIter {
            client: self.clone(),
            items,
            total: None,
            progress: None,
        }
    }
}

fn progress_fn(callback: impl Fn(&Progress) + Send + Sync + 'static) -> Option<ProgressFn> {
    Some(ProgressFn(Arc::new(callback)))
}

/// A bulk upsert of borrowed items, made by
/// [`blocking::Client::upsert_all`](Client::upsert_all); [`run`](Self::run)
/// sends them.
#[must_use = "an upsert does nothing until it is run"]
pub struct UpsertAll<'a, T, I> {
    client: Client,
    items: I,
    progress: Option<ProgressFn>,
    record: PhantomData<fn() -> &'a T>,
}

impl<'a, T, I> UpsertAll<'a, T, I>
where
    I: IntoIterator<Item = &'a T>,
    T: Vectorify + 'a,
{
    /// Calls `callback` on the calling thread each time a batch is
    /// accepted, fails or is retried, and when the run ends.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = progress_fn(callback);
        self
    }

    /// Sends every item that can be sent, and returns once each is accepted
    /// or failed. When any item is not accepted, the result is
    /// [`Error::Upsert`], whose
    /// [`failed_ids`](crate::Error::failed_ids) lists exactly those items.
    pub fn run(self) -> Result<UpsertReport, Error> {
        let items = self.items.into_iter();
        let total = upsert::exact_size(items.size_hint());
        let input = stream::iter(items.map(Ok::<_, Infallible>));
        let client = &self.client.client().inner;
        self.client.wait(upsert::upsert_many::<T, _, _, _>(
            client,
            input,
            total,
            self.progress,
        ))
    }
}

impl<T, I> fmt::Debug for UpsertAll<'_, T, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertAll")
            .field("client", &self.client)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}

/// A bulk upsert of the owned items of an iterator, made by
/// [`blocking::Client::upsert_iter`](Client::upsert_iter);
/// [`run`](Self::run) sends them.
#[must_use = "an upsert does nothing until it is run"]
pub struct UpsertIter<I: IntoIterator> {
    // An iterator that cannot fail is an iterator of `Result`s that are all
    // `Ok`: one runner serves both.
    inner: UpsertTryIter<Infallibly<I>>,
}

/// An iterator's items as the `Ok`s of an iterator that cannot fail.
type Infallibly<I> = std::iter::Map<
    <I as IntoIterator>::IntoIter,
    fn(<I as IntoIterator>::Item) -> Result<<I as IntoIterator>::Item, Infallible>,
>;

impl<I> UpsertIter<I>
where
    I: IntoIterator,
    I::Item: Vectorify,
{
    /// Calls `callback` on the calling thread each time a batch is
    /// accepted, fails or is retried, and when the run ends.
    pub fn on_progress(self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        UpsertIter {
            inner: self.inner.on_progress(callback),
        }
    }

    /// How many items the iterator will yield, if you know; reported as
    /// [`Progress::total`].
    pub fn total(self, items: u64) -> Self {
        UpsertIter {
            inner: self.inner.total(items),
        }
    }

    /// Reads and sends every item, and returns once each is accepted or
    /// failed; as [`UpsertAll::run`].
    pub fn run(self) -> Result<UpsertReport, Error> {
        self.inner.run()
    }
}

impl<I: IntoIterator> fmt::Debug for UpsertIter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("UpsertIter").field(&self.inner).finish()
    }
}

/// A bulk upsert of the items of an iterator of `Result`s, made by
/// [`blocking::Client::upsert_try_iter`](Client::upsert_try_iter);
/// [`run`](Self::run) sends them.
#[must_use = "an upsert does nothing until it is run"]
pub struct UpsertTryIter<I> {
    client: Client,
    items: I,
    total: Option<u64>,
    progress: Option<ProgressFn>,
}

impl<I, T, E> UpsertTryIter<I>
where
    I: IntoIterator<Item = Result<T, E>>,
    T: Vectorify,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    /// Calls `callback` on the calling thread each time a batch is
    /// accepted, fails or is retried, and when the run ends.
    pub fn on_progress(mut self, callback: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = progress_fn(callback);
        self
    }

    /// How many items the iterator will yield, if you know; reported as
    /// [`Progress::total`].
    pub fn total(mut self, items: u64) -> Self {
        self.total = Some(items);
        self
    }

    /// Reads and sends items until the iterator ends or fails, and returns
    /// once each item read is accepted or failed. An `Err` of the iterator
    /// is reported as [`UpsertError::input_error`](crate::UpsertError::input_error).
    pub fn run(self) -> Result<UpsertReport, Error> {
        let items = self.items.into_iter();
        let total = self.total.or_else(|| upsert::exact_size(items.size_hint()));
        let input = stream::iter(items);
        let client = &self.client.client().inner;
        self.client.wait(upsert::upsert_many::<T, _, _, _>(
            client,
            input,
            total,
            self.progress,
        ))
    }
}

impl<I> fmt::Debug for UpsertTryIter<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpsertTryIter")
            .field("client", &self.client)
            .field("total", &self.total)
            .field("progress", &self.progress.is_some())
            .finish_non_exhaustive()
    }
}
