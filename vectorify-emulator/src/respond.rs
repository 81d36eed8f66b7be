//! The answers the emulator builds, and the marks a handler leaves on a
//! response for the connection to act on.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use crate::faults::{FaultKind, ServerErrorPage};

/// Marks a response that must not be written: the connection is closed instead.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Disconnect;

/// Marks a response with the fault injected into its request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Injected(pub(crate) FaultKind);

/// Marks a response with the number of items its upsert body carried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemCount(pub(crate) usize);

/// A JSON response.
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => with_type(status, bytes, "application/json"),
        Err(_) => with_type(
            StatusCode::INTERNAL_SERVER_ERROR,
            br#"{"message":"Server Error"}"#.to_vec(),
            "application/json",
        ),
    }
}

/// `{"message": ...}`, the shape of every error but validation errors.
pub(crate) fn message(status: StatusCode, text: &str) -> Response {
    json(status, &json!({ "message": text }))
}

/// 429 with the backend's message and `Retry-After`.
pub(crate) fn too_many_attempts(retry_after_secs: u64) -> Response {
    let mut response = message(StatusCode::TOO_MANY_REQUESTS, "Too Many Attempts.");
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// 413 for a body past the size limit.
pub(crate) fn too_large(limit: usize) -> Response {
    message(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("The request body is larger than the limit of {limit} bytes."),
    )
}

/// An injected 5xx, as the backend or a proxy in front of it would answer.
pub(crate) fn server_error(page: ServerErrorPage) -> Response {
    match page {
        ServerErrorPage::InternalJson => message(StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
        ServerErrorPage::UnavailableJson => {
            message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
        ServerErrorPage::BadGatewayHtml => html_page(StatusCode::BAD_GATEWAY),
        ServerErrorPage::UnavailableHtml => html_page(StatusCode::SERVICE_UNAVAILABLE),
    }
}

fn html_page(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<!DOCTYPE html>\n<html>\n<head><title>{title}</title></head>\n<body>\n\
         <h1>{title}</h1>\n<p>Injected by the Vectorify emulator.</p>\n</body>\n</html>\n"
    );
    with_type(status, page.into_bytes(), "text/html; charset=utf-8")
}

fn with_type(status: StatusCode, body: Vec<u8>, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A response that will never be written; the connection closes instead.
pub(crate) fn disconnect() -> Response {
    let mut response = Response::new(Body::empty());
    response.extensions_mut().insert(Disconnect);
    response
}
