//! Questions, the history of upserts and chats over real HTTP against the
//! emulator, and the typed answers read from the API reference's examples.

mod answers;
mod chats;
#[path = "../common/mod.rs"]
mod common;
mod documented;
mod query;
mod support;
mod upserts;
