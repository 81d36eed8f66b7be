//! The error type of the client: what went wrong, and for a bulk upsert,
//! exactly which items the API did not accept.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::Value;

use crate::upsert::UpsertError;

/// Everything that can go wrong when talking to Vectorify.
///
/// An answer from the API that refuses a request is [`Error::Api`], with the
/// status, the API's message and its field errors. Failures to reach the API
/// are [`Error::Connection`] and [`Error::Timeout`]; a client that could not
/// be built is [`Error::Config`]. Items that could not be sent at all are
/// [`Error::Serialize`], [`Error::NonFiniteNumber`], [`Error::EmptyId`] and
/// [`Error::ItemTooLarge`], each naming the item.
///
/// [`Client::upsert_all`](crate::Client::upsert_all) and
/// [`Client::upsert_stream`](crate::Client::upsert_stream) return
/// [`Error::Upsert`] when any item was not accepted; its
/// [`failed_ids`](Error::failed_ids) lists exactly those items.
///
/// ```no_run
/// # use vectorify_core::{Client, Error, Vectorify};
/// # async fn sync<T: Vectorify + Sync>(client: &Client, invoices: &[T]) {
/// match client.upsert_all(invoices).await {
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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client's configuration is unusable: a missing or empty key, a base
    /// URL that does not parse, a key that would travel over plain `http`.
    #[error("invalid Vectorify client configuration: {0}")]
    Config(String),

    /// The API answered, and refused the request.
    #[error(transparent)]
    Api(ApiError),

    /// The API could not be reached, or the connection broke before its whole
    /// answer was read.
    #[error("could not complete a request to the Vectorify API")]
    Connection(#[source] reqwest::Error),

    /// The API did not answer within the client's timeouts.
    #[error("a request to the Vectorify API timed out")]
    Timeout(#[source] reqwest::Error),

    /// An item could not be written as JSON; it was not sent.
    #[error("item {id:?} of collection {collection:?} could not be serialized")]
    Serialize {
        /// The item's collection.
        collection: &'static str,
        /// The item's id.
        id: String,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },

    /// An item holds a number JSON cannot carry, a NaN or an infinity; it
    /// was not sent. (serde_json would write it as `null`, and the API would
    /// store something other than what the item holds.)
    #[error(
        "item {id:?} of collection {collection:?} was not sent: `{path}` is {}, which JSON cannot carry",
        non_finite_name(*.value)
    )]
    NonFiniteNumber {
        /// The item's collection.
        collection: &'static str,
        /// The item's id.
        id: String,
        /// Where the number sits in the item, dotted as the API names fields:
        /// `data.readings.2`, `metadata.score`.
        path: String,
        /// The number.
        value: f64,
    },

    /// An item's id is empty; it was not sent.
    #[error("item #{position} of collection {collection:?} has an empty id and was not sent")]
    EmptyId {
        /// The item's collection.
        collection: &'static str,
        /// The item's position in the input, counting from 0.
        position: u64,
    },

    /// An item is larger on its own than the API accepts in one request.
    #[error(
        "item {id:?} of collection {collection:?} is too large to send: {bytes} bytes in a request the API refused as too large"
    )]
    ItemTooLarge {
        /// The item's collection.
        collection: &'static str,
        /// The item's id.
        id: String,
        /// The size of the request that carried the item alone.
        bytes: usize,
    },

    /// Some items of a bulk upsert were not accepted. See [`UpsertError`].
    #[error(transparent)]
    Upsert(Box<UpsertError>),

    /// An id given to a call cannot name anything: it is empty, `.` or
    /// `..`. Nothing was sent.
    #[error("{what} id {id:?} cannot name a {what}; nothing was sent")]
    InvalidId {
        /// What the id names: `chat`, `message` or `upsert`.
        what: &'static str,
        /// The id.
        id: String,
    },

    /// The API answered a request with success, but with a body that is not
    /// of the shape this library reads.
    #[error("the Vectorify API's answer to {request} could not be read")]
    Decode {
        /// The request, as `GET /v1/chats/3`.
        request: String,
        /// The body as received (at most 8 KiB of it).
        body: String,
        /// What serde reported.
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    /// The ids of the items this error leaves out of Vectorify.
    ///
    /// For [`Error::Upsert`], exactly the items of the run that were not
    /// accepted, in input order; for an error that names one item
    /// ([`Serialize`](Error::Serialize),
    /// [`NonFiniteNumber`](Error::NonFiniteNumber),
    /// [`ItemTooLarge`](Error::ItemTooLarge), [`EmptyId`](Error::EmptyId),
    /// whose id is `""`), that item. Other
    /// errors name no item: from [`Client::upsert`](crate::Client::upsert)
    /// the item is the one that was passed.
    pub fn failed_ids(&self) -> Vec<&str> {
        match self {
            Error::Upsert(error) => error.failed_ids(),
            Error::Serialize { id, .. }
            | Error::NonFiniteNumber { id, .. }
            | Error::ItemTooLarge { id, .. } => vec![id.as_str()],
            Error::EmptyId { .. } => vec![""],
            _ => Vec::new(),
        }
    }

    /// The HTTP status of the API's answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(error) => Some(error.status),
            _ => None,
        }
    }

    /// Whether the same request could succeed if sent again later: server
    /// errors, rate limits, timeouts and broken connections. The client has
    /// already retried these as far as its [`RetryPolicy`](crate::RetryPolicy)
    /// allows.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(error) => error.is_retryable(),
            Error::Connection(_) | Error::Timeout(_) => true,
            _ => false,
        }
    }
}

/// The API refused a request: its status, its message, its field errors.
///
/// The API answers errors as `{"message": "...", "errors": {"items.0.id":
/// ["..."]}}`; when a body does not have that shape (an HTML page from a
/// proxy, say), it is kept in [`body`](ApiError::body) instead.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The API's message, when the body carried one.
    pub message: Option<String>,
    /// The API's field errors, by dotted path (`items.3.metadata.status`).
    pub errors: BTreeMap<String, Vec<String>>,
    /// The body as received (at most 8 KiB of it), when it was not an error
    /// body of the API's shape.
    pub body: Option<String>,
    /// The wait the API asked for in `Retry-After`, if any.
    pub retry_after: Option<Duration>,
}

/// How much of an unexpected body is kept in [`ApiError::body`].
pub(crate) const KEPT_BODY_BYTES: usize = 8 * 1024;

impl ApiError {
    /// Reads an error answer. From a JSON object, a string `message` fills
    /// `message` and an object `errors` fills `errors`, whatever else the
    /// object holds or lacks; a body with neither is kept as text.
    pub(crate) fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let object = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => Some(object),
            _ => None,
        };
        let message = object
            .as_ref()
            .and_then(|object| object.get("message"))
            .and_then(Value::as_str)
            .map(|message| kept_text(message.as_bytes()));
        let errors: BTreeMap<String, Vec<String>> = match object
            .as_ref()
            .and_then(|object| object.get("errors"))
        {
            Some(Value::Object(fields)) => fields
                .iter()
                .filter_map(|(field, messages)| Some((field.clone(), field_messages(messages)?)))
                .collect(),
            // PHP writes an empty map as `[]`; anything else says nothing.
            _ => BTreeMap::new(),
        };

        let structured = message.is_some() || !errors.is_empty();
        ApiError {
            status,
            message,
            errors,
            body: (!structured && !body.is_empty()).then(|| kept_text(body)),
            retry_after,
        }
    }

    /// Replaces `secret` wherever the answer repeats it, so that a server
    /// that echoes the key back (a debugging proxy, an error page listing
    /// the request's headers) does not carry it into logs and messages.
    /// Secrets shorter than [`SHORTEST_REDACTED`] bytes are left alone: they
    /// would match ordinary words.
    pub(crate) fn redact(&mut self, secret: &str) {
        if secret.len() < SHORTEST_REDACTED {
            return;
        }
        let redact = |text: &mut String| {
            if text.contains(secret) {
                *text = text.replace(secret, REDACTED);
            }
        };
        if let Some(message) = &mut self.message {
            redact(message);
        }
        if let Some(body) = &mut self.body {
            redact(body);
        }
        if self.errors.keys().any(|field| field.contains(secret)) {
            self.errors = std::mem::take(&mut self.errors)
                .into_iter()
                .map(|(field, messages)| (field.replace(secret, REDACTED), messages))
                .collect();
        }
        for message in self.errors.values_mut().flatten() {
            redact(message);
        }
    }

    /// Whether the status says the request may succeed later.
    pub fn is_retryable(&self) -> bool {
        is_retryable_status(self.status)
    }

    /// The positions, within the request's `items`, of the items the field
    /// errors name (`items.3.metadata.status` names position 3).
    pub(crate) fn item_positions(&self) -> Vec<usize> {
        let mut positions: Vec<usize> = self
            .errors
            .keys()
            .filter_map(|key| item_position(key))
            .collect();
        positions.sort_unstable();
        positions.dedup();
        positions
    }

    /// The part of this error that concerns the item at `position`.
    pub(crate) fn for_item(&self, position: usize) -> ApiError {
        let errors: BTreeMap<String, Vec<String>> = self
            .errors
            .iter()
            .filter(|(key, _)| item_position(key) == Some(position))
            .map(|(key, messages)| (key.clone(), messages.clone()))
            .collect();
        let message = errors
            .values()
            .flatten()
            .next()
            .cloned()
            .or_else(|| self.message.clone());
        ApiError {
            status: self.status,
            message,
            errors,
            body: None,
            retry_after: None,
        }
    }
}

/// What stands in for a secret an answer repeated.
pub(crate) const REDACTED: &str = "<redacted>";

/// The shortest secret [`ApiError::redact`] looks for.
pub(crate) const SHORTEST_REDACTED: usize = 8;

/// A field's messages. Laravel sends a list of strings; a lone string is a
/// list of one, `null` says nothing, and any other value is kept as its JSON
/// text.
fn field_messages(value: &Value) -> Option<Vec<String>> {
    let text = |value: &Value| match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    match value {
        Value::Null => None,
        Value::Array(messages) => Some(
            messages
                .iter()
                .filter(|message| !message.is_null())
                .map(text)
                .collect(),
        ),
        other => Some(vec![text(other)]),
    }
}

/// How a non-finite number reads in a message.
fn non_finite_name(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "infinity"
    } else {
        "-infinity"
    }
}

/// 5xx, 429 Too Many Requests and 408 Request Timeout: worth another try.
pub(crate) fn is_retryable_status(status: u16) -> bool {
    status >= 500 || status == 429 || status == 408
}

/// `items.12.metadata.status` → `Some(12)`.
fn item_position(key: &str) -> Option<usize> {
    let rest = key.strip_prefix("items.")?;
    let digits = rest.split('.').next()?;
    digits.parse().ok()
}

/// Text of at most [`KEPT_BODY_BYTES`], cut on a character boundary.
pub(crate) fn kept_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.len() <= KEPT_BODY_BYTES {
        return text.into_owned();
    }
    let mut end = KEPT_BODY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the Vectorify API answered {}", self.status)?;
        if let Some(reason) = reason(self.status) {
            write!(f, " {reason}")?;
        }
        if let Some(message) = self.message.as_deref().filter(|m| !m.trim().is_empty()) {
            write!(f, ": {message}")?;
        } else if let Some(body) = &self.body {
            let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let short: String = line.chars().take(200).collect();
            write!(f, ": {short}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

fn reason(status: u16) -> Option<&'static str> {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_laravel_validation_errors() {
        let body = br#"{"message":"The items.1.id field is required. (and 1 more error)","errors":{"items.1.id":["The items.1.id field is required."],"items.4.metadata.status":["The selected items.4.metadata.status is invalid."]}}"#;
        let error = ApiError::from_response(422, body, None);
        assert_eq!(
            error.message.as_deref(),
            Some("The items.1.id field is required. (and 1 more error)")
        );
        assert_eq!(error.item_positions(), [1, 4]);
        assert_eq!(error.body, None);

        let one = error.for_item(4);
        assert_eq!(
            one.message.as_deref(),
            Some("The selected items.4.metadata.status is invalid.")
        );
        assert_eq!(one.errors.len(), 1);
    }

    #[test]
    fn keeps_a_body_that_is_not_an_error_shape() {
        let error = ApiError::from_response(502, b"<html><h1>502 Bad Gateway</h1></html>", None);
        assert_eq!(error.message, None);
        assert_eq!(
            error.body.as_deref(),
            Some("<html><h1>502 Bad Gateway</h1></html>")
        );
        assert!(error.is_retryable());
        assert_eq!(
            error.to_string(),
            "the Vectorify API answered 502 Bad Gateway: <html><h1>502 Bad Gateway</h1></html>"
        );
    }

    #[test]
    fn keeps_at_most_eight_kib_of_a_body() {
        let body = "é".repeat(KEPT_BODY_BYTES);
        let error = ApiError::from_response(500, body.as_bytes(), None);
        let kept = error.body.unwrap_or_default();
        assert!(kept.len() <= KEPT_BODY_BYTES + '…'.len_utf8());
    }

    #[test]
    fn reads_the_message_and_field_errors_whatever_else_the_body_holds() {
        let body = br#"{"message":"Invalid.","errors":[],"exception":{"trace":[1]}}"#;
        let error = ApiError::from_response(422, body, None);
        assert_eq!(error.message.as_deref(), Some("Invalid."));
        assert!(error.errors.is_empty());
        assert_eq!(error.body, None);

        let body = br#"{"message":7,"errors":{"items.2.id":["Required.",3,null],"items.4.url":"Bad.","items.5.x":null,"other":{"a":1}}}"#;
        let error = ApiError::from_response(422, body, None);
        assert_eq!(error.message, None);
        assert_eq!(error.item_positions(), [2, 4]);
        assert_eq!(error.errors["items.2.id"], ["Required.", "3"]);
        assert_eq!(error.errors["other"], [r#"{"a":1}"#]);
        assert_eq!(error.body, None);
    }

    #[test]
    fn an_empty_message_is_not_shown() {
        let error = ApiError::from_response(400, br#"{"message":" "}"#, None);
        assert_eq!(
            error.to_string(),
            "the Vectorify API answered 400 Bad Request"
        );
    }

    #[test]
    fn redacts_a_secret_the_answer_repeats() {
        let secret = "vk_live_0123456789";
        let body =
            format!(r#"{{"message":"bad key {secret}","errors":{{"{secret}":["{secret}!"]}}}}"#);
        let mut error = ApiError::from_response(401, body.as_bytes(), None);
        error.redact(secret);
        assert_eq!(error.message.as_deref(), Some("bad key <redacted>"));
        assert_eq!(error.errors["<redacted>"], ["<redacted>!"]);

        let mut page = ApiError::from_response(502, format!("<p>{secret}</p>").as_bytes(), None);
        page.redact(secret);
        assert_eq!(page.body.as_deref(), Some("<p><redacted></p>"));

        let mut short = ApiError::from_response(401, br#"{"message":"the key"}"#, None);
        short.redact("key");
        assert_eq!(short.message.as_deref(), Some("the key"));
    }

    #[test]
    fn collection_errors_name_no_item() {
        let body = br#"{"message":"The collection.slug field is required.","errors":{"collection.slug":["The collection.slug field is required."],"items":["The items field must not have more than 90 items."]}}"#;
        assert!(
            ApiError::from_response(422, body, None)
                .item_positions()
                .is_empty()
        );
    }
}
