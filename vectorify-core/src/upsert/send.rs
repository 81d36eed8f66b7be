//! One attempt: a batch body sent to `POST /upserts` (or any other request
//! to the API), and its answer sorted into accepted, refused, too large, or
//! worth another try.

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, Url};

use super::pacing::RateLimitSignal;
use crate::client::Inner;
use crate::error::{ApiError, Error, is_retryable_status};

/// The answer to one attempt.
#[derive(Debug)]
pub(crate) enum Answer {
    /// The API took the request; `body` is its answer, as much of it as
    /// was asked to be kept.
    Accepted { status: u16, body: Vec<u8> },
    /// The API found the body too large (413).
    TooLarge(ApiError),
    /// The API refused the batch, and would refuse it again.
    Refused(ApiError),
    /// The request could not be made, and would not be made next time.
    Broken(Error),
    /// The attempt failed in a way another attempt may not.
    Retry {
        error: Error,
        retry_after: Option<Duration>,
    },
}

impl Answer {
    /// The status, for logs; `None` when no answer came.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Answer::Accepted { status, .. } => Some(*status),
            Answer::TooLarge(error) | Answer::Refused(error) => Some(error.status),
            Answer::Broken(error) | Answer::Retry { error, .. } => error.status(),
        }
    }
}

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// How much of an upsert's success answer is kept: its receipt is a few
/// dozen bytes.
const RECEIPT_BYTES: usize = 4 * 1024;

/// How much of an error answer is read for the API's message and field
/// errors: a 422 that names three fields of each of 90 items runs to about
/// 30 KB, and one cut short would name none. Of a body that is not of the
/// API's shape, only [`KEPT_BODY_BYTES`](crate::error::KEPT_BODY_BYTES) are
/// kept.
const ERROR_BODY_BYTES: usize = 1024 * 1024;

/// Sends one batch body to `POST /upserts` and reads the whole answer, so
/// that the connection can serve the next request.
pub(crate) async fn attempt(client: &Inner, body: Bytes) -> (Answer, RateLimitSignal) {
    let url = client.upserts_url.clone();
    exchange(client, Method::POST, url, Some(body), RECEIPT_BYTES).await
}

/// Sends one request to the API, with the key and JSON headers and the
/// client's timeout, and reads the whole answer. Of a success answer, at
/// most `keep` bytes are kept; the rest is read and dropped.
pub(crate) async fn exchange(
    client: &Inner,
    method: Method,
    url: Url,
    body: Option<Bytes>,
    keep: usize,
) -> (Answer, RateLimitSignal) {
    let mut request = client
        .http
        .request(method, url)
        .header(crate::client::API_KEY_HEADER, client.api_key.clone())
        .header(ACCEPT, JSON);
    if let Some(body) = body {
        request = request.header(CONTENT_TYPE, JSON).body(body);
    }
    if let Some(timeout) = client.timeout {
        request = request.timeout(timeout);
    }

    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => return (transport_failure(error), RateLimitSignal::no_answer()),
    };

    let status = response.status().as_u16();
    let mut signal = RateLimitSignal::from_headers(status, response.headers());
    // The pacer holds every request back for a `Retry-After`: no longer than
    // the retry policy honours one. The error keeps what the API asked.
    let asked = signal.retry_after;
    let limit = client.retry.retry_after_limit();
    signal.retry_after = asked.map(|wait| wait.min(limit));
    let success = (200..300).contains(&status);
    let keep = if success { keep } else { ERROR_BODY_BYTES };
    let answer = match read_body(response, keep).await {
        Err(error) => transport_failure(error),
        Ok(body) if success => Answer::Accepted { status, body },
        Ok(body) => {
            let mut error = ApiError::from_response(status, &body, asked);
            error.redact(&String::from_utf8_lossy(client.api_key.as_bytes()));
            if status == 413 {
                Answer::TooLarge(error)
            } else if is_retryable_status(status) {
                Answer::Retry {
                    retry_after: error.retry_after,
                    error: Error::Api(error),
                }
            } else {
                Answer::Refused(error)
            }
        }
    };
    (answer, signal)
}

/// Reads a body in full; past `keep` bytes, the rest is read and dropped.
async fn read_body(
    mut response: reqwest::Response,
    keep: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = keep.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

fn transport_failure(error: reqwest::Error) -> Answer {
    let error = if error.is_timeout() {
        Error::Timeout(error)
    } else if error.is_builder() {
        return Answer::Broken(Error::Config(format!(
            "the request could not be built: {error}"
        )));
    } else {
        Error::Connection(error)
    };
    Answer::Retry {
        error,
        retry_after: None,
    }
}
