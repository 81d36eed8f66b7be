//! One call to the API other than an upsert: its URL, the retries it allows,
//! and its answer read into a type.
//!
//! A call goes out as a batch of items does: through the client's pacer, with
//! its timeout, its answer sorted by the same rules
//! ([`send::exchange`](crate::upsert::send::exchange)) and waits between
//! attempts from the same [`RetryPolicy`](crate::RetryPolicy).

use std::time::Instant;

use bytes::Bytes;
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::{Instrument, debug, debug_span, info, warn};

use crate::error::{REDACTED, SHORTEST_REDACTED, kept_text};
use crate::upsert::Ticket;
use crate::upsert::send::{self, Answer};
use crate::upsert::take_turn;
use crate::{Client, Error};

/// The most of a success answer that is read; past it, the answer cannot be
/// read ([`Error::Decode`]). A page of chats is a few hundred kilobytes.
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// Which failures a call is sent again after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Every failure that may pass: the call changes nothing, or changes
    /// the same thing each time (a read, a feedback).
    Always,
    /// Only failures where the API cannot have acted on the call: a `429`,
    /// or a connection that never opened. For calls that create something
    /// (a question, a chat, a message), which a second attempt would create
    /// again.
    Unsent,
}

impl Retry {
    fn allows(self, error: &Error) -> bool {
        match self {
            Retry::Always => true,
            Retry::Unsent => match error {
                Error::Api(error) => error.status == 429,
                Error::Connection(error) => error.is_connect(),
                _ => false,
            },
        }
    }
}

/// The `{"data": ...}` envelope of one resource.
#[derive(serde::Deserialize)]
struct Data<T> {
    data: T,
}

impl Client {
    /// `GET`s the resource at `path` (segments after the base URL) and reads
    /// the `data` of its answer.
    pub(crate) async fn get_data<R: DeserializeOwned>(&self, path: &[&str]) -> Result<R, Error> {
        let url = self.api_url(path, &[])?;
        let body = self
            .call(Method::GET, url.clone(), None, Retry::Always)
            .await?;
        self.decode::<Data<R>>(&Method::GET, &url, &body)
            .map(|data| data.data)
    }

    /// Reads a success answer; one that does not read is [`Error::Decode`],
    /// naming the call and keeping the body, less the key wherever the
    /// server repeated it.
    fn decode<R: DeserializeOwned>(
        &self,
        method: &Method,
        url: &Url,
        body: &[u8],
    ) -> Result<R, Error> {
        serde_json::from_slice(body).map_err(|source| {
            let mut body = kept_text(body);
            let key = String::from_utf8_lossy(self.inner.api_key.as_bytes());
            if key.len() >= SHORTEST_REDACTED && body.contains(&*key) {
                body = body.replace(&*key, REDACTED);
            }
            Error::Decode {
                request: format!("{method} {}", url.path()),
                body,
                source,
            }
        })
    }

    /// `GET`s the list at `path` with the query `pairs` and reads the answer
    /// whole (data, meta, links).
    pub(crate) async fn get_list<R: DeserializeOwned>(
        &self,
        path: &[&str],
        pairs: &[(&str, String)],
    ) -> Result<R, Error> {
        let url = self.api_url(path, pairs)?;
        let body = self
            .call(Method::GET, url.clone(), None, Retry::Always)
            .await?;
        self.decode(&Method::GET, &url, &body)
    }

    /// `POST`s `body` as JSON to `path` and reads the `data` of the answer.
    pub(crate) async fn post_data<B, R>(
        &self,
        path: &[&str],
        body: &B,
        retry: Retry,
    ) -> Result<R, Error>
    where
        B: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let url = self.api_url(path, &[])?;
        let json = serde_json::to_vec(body).map_err(|error| {
            Error::Config(format!(
                "the body of POST {} could not be written: {error}",
                url.path()
            ))
        })?;
        let answer = self
            .call(Method::POST, url.clone(), Some(Bytes::from(json)), retry)
            .await?;
        self.decode::<Data<R>>(&Method::POST, &url, &answer)
            .map(|data| data.data)
    }

    /// The URL of `path` under the base URL. Each segment is percent-encoded,
    /// so an id cannot reach another path.
    fn api_url(&self, path: &[&str], pairs: &[(&str, String)]) -> Result<Url, Error> {
        let mut url = self.inner.base_url.clone();
        url.path_segments_mut()
            .map_err(|()| Error::Config("the base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(path);
        if !pairs.is_empty() {
            url.query_pairs_mut().extend_pairs(pairs);
        }
        Ok(url)
    }

    /// Sends a call until it is answered with success, refused, or out of
    /// retries; returns the success answer's body.
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        retry: Retry,
    ) -> Result<Vec<u8>, Error> {
        let span = debug_span!("request", method = %method, path = url.path());
        self.attempts(method, url, body, retry)
            .instrument(span)
            .await
    }

    async fn attempts(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        retry: Retry,
    ) -> Result<Vec<u8>, Error> {
        let client = &*self.inner;
        let policy = &client.retry;
        let mut first_sent = None;
        let mut attempt = 0;
        loop {
            let ticket = self.pace().await;
            attempt += 1;
            let first_sent = *first_sent.get_or_insert_with(Instant::now);

            let (answer, signal) = send::exchange(
                client,
                method.clone(),
                url.clone(),
                body.clone(),
                MAX_ANSWER_BYTES,
            )
            .await;
            client.pacer.observe(ticket, signal).await;

            let (error, retry_after) = match answer {
                Answer::Accepted { status, body } => {
                    debug!(attempt, status, "answered");
                    return Ok(body);
                }
                Answer::TooLarge(error) | Answer::Refused(error) => {
                    debug!(attempt, status = error.status, error = %error, "refused");
                    return Err(Error::Api(error));
                }
                Answer::Broken(error) => return Err(error),
                Answer::Retry { error, retry_after } => (error, retry_after),
            };

            let status = error.status();
            if !retry.allows(&error) {
                warn!(attempt, status, error = %error, "failed: the API may have acted on the call, so it is not sent again");
                return Err(error);
            }
            if attempt >= policy.attempts() {
                warn!(attempt, status, error = %error, "failed: no attempts left");
                return Err(error);
            }
            let wait = policy.wait(attempt, retry_after);
            if first_sent.elapsed() + wait > policy.elapsed_limit() {
                warn!(attempt, status, error = %error, "failed: out of time for retries");
                return Err(error);
            }
            info!(attempt, status, wait_ms = wait.as_millis() as u64, error = %error, "will be sent again");
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits until the pacer lets a request go.
    async fn pace(&self) -> Ticket {
        take_turn(&*self.inner.pacer, |_| {}).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base_url: &str) -> Client {
        match Client::builder().api_key("key").base_url(base_url).build() {
            Ok(client) => client,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn paths_join_the_base_url_with_each_segment_encoded() {
        let client = client("https://api.example.com/v1");
        let url = client.api_url(&["chats", "7", "messages"], &[]);
        assert_eq!(
            url.ok().map(String::from).as_deref(),
            Some("https://api.example.com/v1/chats/7/messages")
        );
        let url = client.api_url(&["chats", "a/../b?c"], &[("page", "2".into())]);
        assert_eq!(
            url.ok().map(String::from).as_deref(),
            Some("https://api.example.com/v1/chats/a%2F..%2Fb%3Fc?page=2")
        );
    }

    #[test]
    fn calls_that_create_are_retried_only_when_unsent() {
        let too_many = crate::ApiError::from_response(429, b"", None);
        let server_error = crate::ApiError::from_response(500, b"", None);
        assert!(Retry::Unsent.allows(&Error::Api(too_many)));
        assert!(!Retry::Unsent.allows(&Error::Api(server_error.clone())));
        assert!(Retry::Always.allows(&Error::Api(server_error)));
    }
}
