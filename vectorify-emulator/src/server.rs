//! The HTTP server: its own accept loop, one hyper connection per socket so
//! that a fault can close a connection without answering, and the steps every
//! request goes through before and after the routes.

use std::convert::Infallible;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, Response, StatusCode, header};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body as _, Incoming};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Deserialize;
use serde::de::IgnoredAny;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::faults::Dice;
use crate::rate_limit::{Limiter, Quota};
use crate::requests::{RecordedRequest, RequestLog, masked_headers};
use crate::respond::{self, Disconnect, Injected, ItemCount};
use crate::store::Store;

/// Called with each request once it has been answered (or dropped).
pub(crate) type RequestHook = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

/// How long a graceful shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How much of a body past the size limit is read and thrown away, so that
/// the client, still sending, can read the 413 instead of a reset connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// What every connection of one emulator shares.
pub(crate) struct Shared {
    pub(crate) api_key: String,
    pub(crate) base_url: String,
    pub(crate) store: Store,
    pub(crate) dice: Mutex<Dice>,
    pub(crate) limiter: Mutex<Limiter>,
    pub(crate) log: Mutex<RequestLog>,
    pub(crate) max_body_bytes: usize,
    pub(crate) processing_time: Duration,
    pub(crate) on_request: Option<RequestHook>,
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Accepts connections until `stop` fires or its sender is dropped, then
/// lets the requests in flight finish (for at most [`SHUTDOWN_GRACE`]).
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    router: Router,
    mut stop: oneshot::Receiver<()>,
) {
    let (graceful_tx, graceful_rx) = watch::channel(());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(
                        stream,
                        shared.clone(),
                        router.clone(),
                        graceful_rx.clone(),
                    ));
                }
                Err(error) => accept_failed(error).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    let _ = graceful_tx.send(());
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, drained).await;
}

async fn accept_failed(error: io::Error) {
    // Running out of file descriptors is the usual cause; pause rather than spin.
    tracing::warn!(%error, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(20)).await;
}

/// Serves one connection until the client closes it, a fault closes it, or
/// the server shuts down.
async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    router: Router,
    mut graceful: watch::Receiver<()>,
) {
    // Small responses go out at once instead of waiting for the client's ACK.
    let _ = stream.set_nodelay(true);

    let close = Arc::new(Notify::new());
    let service = {
        let close = close.clone();
        hyper::service::service_fn(move |request| {
            let (shared, router, close) = (shared.clone(), router.clone(), close.clone());
            async move { Ok::<_, Infallible>(exchange(&shared, router, request, &close).await) }
        })
    };
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);

    let mut shutting_down = false;
    loop {
        tokio::select! {
            _ = connection.as_mut() => return,
            // Dropping the connection closes the socket, with nothing of the
            // response written.
            () = close.notified() => return,
            _ = graceful.changed(), if !shutting_down => {
                shutting_down = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// One request, from its head to its answer: read the body, apply the rate
/// limit, route it, record it, and close the connection if a fault says so.
async fn exchange(
    shared: &Shared,
    router: Router,
    request: Request<Incoming>,
    close: &Notify,
) -> Response<Body> {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let is_upsert = parts.method == Method::POST && parts.uri.path() == "/v1/upserts";
    let mut record = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        status: None,
        body_bytes: 0,
        items: 0,
        headers: masked_headers(&parts.headers),
        fault: None,
        duration: Duration::ZERO,
    };

    let body = read_body(body, shared.max_body_bytes).await;
    let quota = lock(&shared.limiter).admit();

    let mut response = match (body, quota.and_then(|quota| quota.retry_after)) {
        (ReadBody::Broken { read }, _) => {
            record.body_bytes = read;
            respond::message(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
            )
        }
        (ReadBody::TooLarge { read, drained }, _) => {
            record.body_bytes = read;
            let mut response = respond::too_large(shared.max_body_bytes);
            if !drained {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            response
        }
        (ReadBody::Complete(bytes), retry_after) => {
            record.body_bytes = bytes.len();
            let response = match retry_after {
                Some(retry_after) => respond::too_many_attempts(retry_after),
                None => {
                    let request = Request::from_parts(parts, Body::from(bytes.clone()));
                    match router.oneshot(request).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                }
            };
            record.items = match response.extensions().get::<ItemCount>() {
                Some(ItemCount(count)) => *count,
                None if is_upsert => count_items(&bytes),
                None => 0,
            };
            response
        }
    };

    if let Some(quota) = quota {
        add_quota_headers(&mut response, quota);
    }
    if needs_json_body(&response) {
        response = as_json_error(response, &record.method, &record.path).await;
    }
    let disconnect = response.extensions().get::<Disconnect>().is_some();
    record.fault = response
        .extensions()
        .get::<Injected>()
        .map(|injected| injected.0);
    record.status = (!disconnect).then(|| response.status().as_u16());
    record.duration = started.elapsed();
    shared.record(record);

    if disconnect {
        close.notify_one();
        // The connection task drops this future along with the connection.
        std::future::pending::<()>().await;
    }
    response
}

impl Shared {
    fn record(&self, request: RecordedRequest) {
        tracing::info!(
            method = %request.method,
            path = %request.path,
            status = request.status,
            items = request.items,
            duration_ms = request.duration.as_secs_f64() * 1000.0,
            fault = request.fault.map(tracing::field::display),
            "request",
        );
        if let Some(hook) = &self.on_request {
            hook(&request);
        }
        lock(&self.log).push(request);
    }
}

enum ReadBody {
    Complete(Bytes),
    TooLarge { read: usize, drained: bool },
    Broken { read: usize },
}

/// Reads the whole body, up to `limit` bytes. A longer one is read on (and
/// thrown away) up to [`DRAIN_LIMIT`] so that the 413 reaches the client.
async fn read_body(mut body: Incoming, limit: usize) -> ReadBody {
    let declared = body
        .size_hint()
        .exact()
        .and_then(|n| usize::try_from(n).ok());
    if declared.is_some_and(|n| n > limit && n > DRAIN_LIMIT) {
        return ReadBody::TooLarge {
            read: 0,
            drained: false,
        };
    }

    // What was read so far is `whole` when it is `Some`, else `buffer`: a
    // body that arrives in one piece is kept as it came, and only one that
    // arrives in several is copied into one buffer.
    let mut whole: Option<Bytes> = None;
    let mut buffer = BytesMut::new();
    let mut read = 0usize;
    let mut too_large = false;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return ReadBody::Broken { read };
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        read = read.saturating_add(data.len());
        if read > limit {
            too_large = true;
            whole = None;
            buffer = BytesMut::new();
            if read > DRAIN_LIMIT {
                return ReadBody::TooLarge {
                    read,
                    drained: false,
                };
            }
        }
        if too_large {
            continue;
        }
        match whole.take() {
            None if buffer.is_empty() => whole = Some(data),
            first => {
                if let Some(first) = first {
                    let expected = declared.filter(|n| *n <= limit).unwrap_or(0);
                    buffer.reserve(expected.max(first.len() + data.len()));
                    buffer.extend_from_slice(&first);
                }
                buffer.extend_from_slice(&data);
            }
        }
    }
    if too_large {
        ReadBody::TooLarge {
            read,
            drained: true,
        }
    } else {
        ReadBody::Complete(whole.unwrap_or_else(|| buffer.freeze()))
    }
}

/// The number of items in an upsert body that no handler read (it was
/// refused or a fault was injected first); 0 when it is not readable.
fn count_items(body: &[u8]) -> usize {
    #[derive(Deserialize)]
    struct Items {
        items: Vec<IgnoredAny>,
    }
    serde_json::from_slice::<Items>(body).map_or(0, |body| body.items.len())
}

fn add_quota_headers(response: &mut Response<Body>, quota: Quota) {
    let status = response.status();
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(quota.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(quota.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(quota.reset_epoch));
    if let Some(retry_after) = quota
        .retry_after
        .filter(|_| status == StatusCode::TOO_MANY_REQUESTS)
    {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
    }
}

/// Whether a response is an error the router answered in plain text or with
/// no body (a 405, or an extractor's rejection of a malformed path), where
/// the API answers JSON. Injected faults keep their pages.
fn needs_json_body(response: &Response<Body>) -> bool {
    let plain = match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(content_type) => content_type.as_bytes().starts_with(b"text/plain"),
    };
    plain
        && (response.status().is_client_error() || response.status().is_server_error())
        && response.extensions().get::<Injected>().is_none()
}

/// Gives an error the JSON body Laravel sends: for a 405 the method and the
/// supported ones (keeping `Allow`), otherwise the router's own text.
async fn as_json_error(response: Response<Body>, method: &str, path: &str) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let route = path.trim_start_matches('/');
    let text = if parts.status == StatusCode::METHOD_NOT_ALLOWED {
        let allowed = parts
            .headers
            .get(header::ALLOW)
            .and_then(|allow| allow.to_str().ok())
            .unwrap_or_default();
        format!(
            "The {method} method is not supported for route {route}. Supported methods: {allowed}."
        )
    } else {
        let said = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_default();
        let said = String::from_utf8_lossy(&said);
        match said.trim() {
            "" => parts
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_owned(),
            said => said.to_owned(),
        }
    };

    let mut explained = respond::message(parts.status, &text);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            explained.headers_mut().append(name.clone(), value.clone());
        }
    }
    *explained.extensions_mut() = parts.extensions;
    explained
}
