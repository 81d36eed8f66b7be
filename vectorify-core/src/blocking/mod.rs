//! A client for programs without an async runtime (feature `blocking`):
//! every method of the async [`Client`](crate::Client), returning its result
//! instead of a future.
//!
//! ```no_run
//! use vectorify_core::{Question, Vectorify};
//!
//! #[derive(Vectorify)]
//! #[vectorify(collection = "invoices")]
//! struct Invoice {
//!     #[vectorify(id)]
//!     id: u64,
//!     #[vectorify(metadata)]
//!     customer_name: String,
//!     amount: String,
//! }
//!
//! fn main() -> Result<(), vectorify_core::Error> {
//!     let client = vectorify_core::blocking::Client::from_env()?;
//!
//!     let invoices = vec![Invoice { id: 1, customer_name: "John Doe".into(), amount: "100".into() }];
//!     let report = client.upsert_all(&invoices).run()?;
//!     println!("{} items in {} batches", report.items, report.batches);
//!
//!     let answer = client.query(&Question::new("what does John Doe owe?").collection::<Invoice>())?;
//!     println!("{}", answer.text);
//!     Ok(())
//! }
//! ```
//!
//! # How it runs
//!
//! The client starts a thread of its own with a Tokio runtime that drives
//! its connections and timers, and stops it when the last clone of the
//! client is dropped. Each call runs on the thread that makes it, which
//! sleeps while the call waits on the network: so the items of
//! [`upsert_all`](Client::upsert_all) may be borrowed, the iterator of
//! [`upsert_iter`](Client::upsert_iter) need not be `Send` (a database
//! cursor), and a progress callback runs on the calling thread. Calls from
//! several threads at once run side by side; batches, retries, pacing and
//! the exact account of failures are those of the async client.
//!
//! # In async code
//!
//! Nothing here panics when called from within an async runtime, but a call
//! blocks its thread until it is done, and with it every task that thread
//! would otherwise run: on a current-thread runtime (`#[tokio::test]`'s
//! default), the whole runtime stops, and a server on that runtime (an
//! emulator started in the same test) cannot answer, and the call fails
//! once its timeouts and retries run out. In async code use the async
//! [`Client`](crate::Client), or make the blocking call inside
//! `tokio::task::spawn_blocking`.

mod api;
mod runtime;
mod upsert;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use reqwest::Url;

use crate::{ClientBuilder, Error};

pub use api::{Items, Listing, Pages};
pub use upsert::{UpsertAll, UpsertIter, UpsertTryIter};

use runtime::Runtime;

/// A blocking client of the Vectorify API; see the [module](self) for how
/// it runs.
///
/// Build one with [`ClientBuilder::build_blocking`] or
/// [`Client::from_env`]. Cheap to clone: clones share one connection pool,
/// one pacer and one runtime thread.
///
/// ```no_run
/// use std::time::Duration;
///
/// let client = vectorify_core::Client::builder()
///     .api_key("my-key")
///     .timeout(Duration::from_secs(60))
///     .build_blocking()?;
/// # Ok::<(), vectorify_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

/// What every clone shares. The async client is dropped before the runtime
/// that drives its connections.
struct Shared {
    client: crate::Client,
    runtime: Runtime,
}

impl Client {
    /// A client configured from the environment: the key from
    /// `VECTORIFY_API_KEY` (required) and the base URL from
    /// `VECTORIFY_BASE_URL` (optional).
    pub fn from_env() -> Result<Client, Error> {
        ClientBuilder::from_env().build_blocking()
    }

    /// The base URL requests go to, ending in `/`.
    pub fn base_url(&self) -> &Url {
        self.shared.client.base_url()
    }

    /// The async client this one drives.
    fn client(&self) -> &crate::Client {
        &self.shared.client
    }

    /// Runs a call of the async client to its end on this thread.
    fn wait<F: Future>(&self, future: F) -> F::Output {
        self.shared.runtime.wait(future)
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("blocking::Client")
            .field(&self.shared.client)
            .finish()
    }
}

impl ClientBuilder {
    /// Builds a [`blocking::Client`](Client), for programs without an async
    /// runtime (feature `blocking`). Fails as [`build`](Self::build) does,
    /// or when the client's runtime thread cannot start.
    ///
    /// A client given with [`http_client`](Self::http_client) should be one
    /// no async runtime has used: its connections belong to the runtime
    /// that opened them.
    pub fn build_blocking(self) -> Result<Client, Error> {
        let client = self.build()?;
        let runtime = Runtime::start()?;
        Ok(Client {
            shared: Arc::new(Shared { client, runtime }),
        })
    }
}
