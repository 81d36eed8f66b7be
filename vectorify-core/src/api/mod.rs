//! The rest of the Vectorify API: questions, the history of upserts, and
//! chats, as methods of [`Client`](crate::Client).
//!
//! | call | method |
//! |---|---|
//! | `POST /query` | [`Client::query`](crate::Client::query) |
//! | `GET /upserts`, `GET /upserts/{id}` | [`Client::upsert_history`](crate::Client::upsert_history), [`Client::fetch_upsert`](crate::Client::fetch_upsert) |
//! | `POST /chats`, `GET /chats`, `GET /chats/{chat}` | [`Client::create_chat`](crate::Client::create_chat), [`Client::chats`](crate::Client::chats), [`Client::chat`](crate::Client::chat) |
//! | `POST /chats/{chat}/messages`, `GET .../messages/{message}` | [`Client::send_message`](crate::Client::send_message), [`Client::chat_message`](crate::Client::chat_message) |
//! | `POST .../feedback` | [`Client::chat_feedback`](crate::Client::chat_feedback), [`Client::message_feedback`](crate::Client::message_feedback) |
//!
//! Every call goes through the client's pacer, timeout and
//! [`RetryPolicy`](crate::RetryPolicy), as upserts do. Calls that create
//! something (a question, a chat, a message) are sent again only when the
//! API cannot have acted on them, so that a retry never asks twice.
//!
//! The API documents few of its answers' fields and none of their types, so
//! every answer type reads leniently: a field left out or `null` is `None`,
//! ids and numbers are read as text or as integers, and fields this library
//! does not know are kept in an `extra` map rather than refused. An answer
//! that does not read at all is [`Error::Decode`](crate::Error::Decode).
//!
//! The common types are re-exported at the crate's root.

mod chats;
mod fields;
mod ids;
mod page;
mod query;
mod request;
mod upserts;

pub use chats::{Chat, ChatMessage, Role, User};
pub use ids::{ChatId, MessageId, UpsertId};
pub use page::{Items, Listing, Page, PageLinks, PageMeta, Pages};
pub use query::{Identifier, Question};
pub use upserts::{Upsert, UpsertReceipt, UpsertStatus};
