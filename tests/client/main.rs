//! The client over real HTTP, against the emulator: one upsert, bulk runs,
//! every fault the emulator injects, refused items, pacing, secrets,
//! builder errors, streams and progress.

mod builder;
mod bulk;
#[path = "../common/mod.rs"]
mod common;
mod faults;
mod pacing;
mod progress;
mod refused;
mod secrets;
mod single;
mod stream;
mod support;
