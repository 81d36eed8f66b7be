//! Put your application's data into [Vectorify](https://vectorify.ai), the
//! service that answers questions about it in plain language.
//!
//! Derive [`Vectorify`] on the types you already have: the derive writes the
//! collection's slug and metadata schema and turns each value into an
//! [`Item`], and the compiler catches mistakes in them.
//!
//! ```
//! use serde::Serialize;
//! use vectorify_core::Vectorify;
//!
//! #[derive(Clone, Copy, Serialize, Vectorify)]
//! #[serde(rename_all = "lowercase")]
//! enum Status { Draft, Sent, Paid }
//!
//! #[derive(Vectorify)]
//! #[vectorify(collection = "invoices", url = "https://app.example.com/invoices/{id}")]
//! struct Invoice {
//!     #[vectorify(id)]
//!     id: u64,
//!     #[vectorify(metadata)]
//!     customer_name: String,
//!     #[vectorify(metadata)]
//!     status: Status,
//!     amount: String,
//!     #[vectorify(tenant)]
//!     tenant: u64,
//! }
//!
//! assert_eq!(
//!     serde_json::to_string(&Invoice::collection()).unwrap(),
//!     r#"{"slug":"invoices","metadata":{"customer_name":{"type":"string"},"status":{"type":"enum","options":["draft","sent","paid"]}}}"#,
//! );
//! ```

#[cfg(feature = "client")]
pub mod api;
#[cfg(feature = "blocking")]
pub mod blocking;
#[cfg(feature = "client")]
mod client;
mod collection;
#[cfg(feature = "client")]
mod error;
mod item;
mod metadata;
mod record;
#[cfg(feature = "client")]
pub mod upsert;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

pub use collection::{Collection, MetadataField, MetadataType};
pub use item::{Item, ItemId, ItemUrl, Tenant, TenantKey};
pub use metadata::MetadataValue;
pub use record::Vectorify;

#[cfg(feature = "client")]
pub use api::{Chat, ChatMessage, Identifier, Question, Role, Upsert, UpsertReceipt, UpsertStatus};
#[cfg(feature = "client")]
pub use client::{API_KEY_VAR, ApiKey, BASE_URL_VAR, Client, ClientBuilder, DEFAULT_BASE_URL};
#[cfg(feature = "client")]
pub use error::{ApiError, Error};
#[cfg(feature = "redis")]
pub use upsert::{DEFAULT_REDIS_PREFIX, RedisPacer, RedisPacing};
#[cfg(feature = "client")]
pub use upsert::{
    Failure, InProcessPacer, MAX_BATCH_SIZE, NoPacing, Pacer, Progress, ProgressEvent, RetryPolicy,
    UpsertAll, UpsertError, UpsertReport, UpsertStream, UpsertTryStream,
};

/// Derives [`Vectorify`] for a struct with named fields, or [`MetadataValue`]
/// for a fieldless enum (an `enum` metadata type whose options are the
/// variants' serde names).
///
/// See the crate's README for every attribute.
pub use vectorify_derive::Vectorify;

// The README's Rust examples run as doctests, so they cannot drift from the
// library.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
