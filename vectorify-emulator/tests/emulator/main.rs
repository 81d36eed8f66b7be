//! The emulator's behaviour, pinned over real HTTP.

mod auth;
mod binary;
mod chats;
mod common;
mod faults;
mod inspection;
mod rate_limit;
mod robustness;
mod upserts;
mod validation;
