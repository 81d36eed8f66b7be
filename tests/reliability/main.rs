//! What the client survives and what it promises, shown against the emulator
//! and against a server that answers with scripted bytes:
//!
//! - `soak`: a long run through every fault the emulator injects; every item
//!   is stored exactly as sent. The full run of 100,000 items is ignored by
//!   default: `cargo test -p vectorify-core --test reliability -- --ignored
//!   --nocapture soak_full`.
//! - `server_restart`: the server stops in the middle of a run and comes
//!   back, or does not.
//! - `bad_input`: each kind of bad input or odd answer, and the typed error
//!   it gives.
//! - `responses`, `validation`: properties of the client's reading of any
//!   answer, and of the emulator's checking of any upsert body. Cases per
//!   property: 64 unless `PROPTEST_CASES` says otherwise.
//! - `secrets`: the key stays out of errors and logs even when a server
//!   echoes it, and does not follow a redirect.

mod bad_input;
#[path = "../common/mod.rs"]
mod common;
mod responses;
mod script;
mod secrets;
mod server_restart;
mod soak;
// The client tests' invoice type and helpers; not every helper is used here.
#[allow(dead_code)]
#[path = "../client/support.rs"]
mod support;
mod validation;
