//! The requests the emulator has seen, kept for tests to inspect.

use std::collections::VecDeque;
use std::time::Duration;

use hyper::HeaderMap;
use serde::Serialize;

use crate::faults::FaultKind;

/// The value that stands in for secrets in recorded headers.
pub const MASK: &str = "***";

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The path without the query string, e.g. `/v1/upserts`.
    pub path: String,
    /// The query string, without the `?`.
    pub query: Option<String>,
    /// The status answered; `None` when the connection was closed without a
    /// response (a dropped connection or a lost response).
    pub status: Option<u16>,
    /// The size of the request body in bytes (what was read of it, for a
    /// body past the size limit).
    pub body_bytes: usize,
    /// The number of items in an upsert body; 0 for other requests.
    pub items: usize,
    /// The request headers, names in lowercase, with the values of `api-key`,
    /// `authorization` and `cookie` replaced by [`MASK`].
    pub headers: Vec<(String, String)>,
    /// The fault injected into this request, if any.
    pub fault: Option<FaultKind>,
    /// The time from receiving the request head to the response (or the
    /// close), injected latency included.
    pub duration: Duration,
}

impl RecordedRequest {
    /// The value of the first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Copies request headers for the record, masking the secret ones.
pub(crate) fn masked_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let value = if matches!(name.as_str(), "api-key" | "authorization" | "cookie") {
                MASK.to_owned()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, value)
        })
        .collect()
}

/// The most recent requests, up to a limit, and a count of all of them.
#[derive(Debug)]
pub(crate) struct RequestLog {
    kept: VecDeque<RecordedRequest>,
    limit: usize,
    total: u64,
}

impl RequestLog {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            kept: VecDeque::new(),
            limit,
            total: 0,
        }
    }

    pub(crate) fn push(&mut self, request: RecordedRequest) {
        self.total += 1;
        if self.limit == 0 {
            return;
        }
        if self.kept.len() == self.limit {
            self.kept.pop_front();
        }
        self.kept.push_back(request);
    }

    pub(crate) fn all(&self) -> Vec<RecordedRequest> {
        self.kept.iter().cloned().collect()
    }

    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    pub(crate) fn clear(&mut self) {
        self.kept.clear();
    }
}
