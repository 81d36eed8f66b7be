//! What the examples share: the invoice status, and a client of the real
//! Vectorify API when `VECTORIFY_API_KEY` is set, else of an emulator
//! started in this process.

// Each example is its own crate and uses only some of these items.
#![allow(dead_code)]

use serde::Serialize;
use vectorify_core::{Client, Vectorify};
use vectorify_emulator::Emulator;

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy, Serialize, Vectorify)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Sent,
    Paid,
}

/// Whether `VECTORIFY_API_KEY` is set to something other than blanks.
pub fn has_key() -> bool {
    std::env::var("VECTORIFY_API_KEY").is_ok_and(|key| !key.trim().is_empty())
}

/// A client of the real API when `VECTORIFY_API_KEY` is set, else of an
/// emulator started here (kept alive by the returned handle). Says which,
/// `to_api` or `to_emulator` followed by the emulator's address.
pub async fn connect(to_api: &str, to_emulator: &str) -> Result<(Client, Option<Emulator>)> {
    if has_key() {
        println!("VECTORIFY_API_KEY is set: {to_api}.");
        return Ok((Client::from_env()?, None));
    }
    let emulator = Emulator::start().await?;
    println!(
        "VECTORIFY_API_KEY is not set: {to_emulator} at {}.",
        emulator.base_url()
    );
    let client = client_of(&emulator)?;
    Ok((client, Some(emulator)))
}

/// A client of `emulator`, with its key.
pub fn client_of(emulator: &Emulator) -> Result<Client> {
    Ok(Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .build()?)
}

/// Stops the emulator, if one was started.
pub async fn shutdown(emulator: Option<Emulator>) {
    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
}

/// The emulator and the runtime that serves it, for the blocking client,
/// which needs no runtime of its own.
#[cfg(feature = "blocking")]
pub struct LocalApi {
    pub emulator: Emulator,
    _runtime: tokio::runtime::Runtime,
}

/// As [`connect`], for the blocking client.
#[cfg(feature = "blocking")]
pub fn connect_blocking(
    to_api: &str,
    to_emulator: &str,
) -> Result<(vectorify_core::blocking::Client, Option<LocalApi>)> {
    if has_key() {
        println!("VECTORIFY_API_KEY is set: {to_api}.");
        return Ok((vectorify_core::blocking::Client::from_env()?, None));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let emulator = runtime.block_on(Emulator::start())?;
    println!(
        "VECTORIFY_API_KEY is not set: {to_emulator} at {}.",
        emulator.base_url()
    );
    let client = Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .build_blocking()?;
    let local = LocalApi {
        emulator,
        _runtime: runtime,
    };
    Ok((client, Some(local)))
}
