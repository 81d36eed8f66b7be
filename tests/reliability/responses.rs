//! Properties of the client's reading of answers, over real HTTP: whatever
//! status, body and `Retry-After` a server sends, the client does not panic,
//! sorts the answer the documented way (2xx accepted; 408, 429 and 5xx
//! retried; 413 cut; any other status refused), keeps the API's message and
//! field errors when the body has them, keeps at most 8 KiB of a body it
//! cannot read, and waits no longer than its retry policy allows.
//!
//! This stands in for a fuzzer (cargo fuzz needs a nightly compiler), with
//! generated answers shrunk to the smallest that fails.

use std::pin::Pin;
use std::time::{Duration, SystemTime};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use tokio::runtime::Runtime;
use vectorify_core::{Client, Error, NoPacing, RetryPolicy, UpsertReport};

use crate::script::{self, Scripted};
use crate::support::{self, KEY};

/// 64 cases per property unless `PROPTEST_CASES` sets another number.
pub fn config() -> Config {
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 64;
    }
    config
}

/// A future a property returns for one case.
pub type Case<'a> = Pin<Box<dyn Future<Output = Result<(), TestCaseError>> + 'a>>;

/// A runtime on this thread: what the property spawns (a server, say) runs
/// while a case runs.
pub fn runtime() -> Runtime {
    support::ok(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
    )
}

/// Runs `property` over `strategy` on `runtime`.
pub fn check<'a, S: Strategy>(
    runtime: &Runtime,
    strategy: S,
    property: impl Fn(S::Value) -> Case<'a>,
) {
    let mut runner = TestRunner::new(config());
    let result = runner.run(&strategy, |value| runtime.block_on(property(value)));
    if let Err(error) = result {
        panic!("{error}");
    }
}

/// The longest `Retry-After` the property's client honours.
const RETRY_AFTER_LIMIT: Duration = Duration::from_millis(20);

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        prop::sample::select(vec![
            200u16, 201, 202, 204, 301, 400, 401, 403, 404, 405, 408, 409, 413, 415, 419, 422, 429,
            500, 502, 503, 504,
        ]),
        200u16..600,
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,40}",
        any::<String>(),
        Just("The items.0.id field is required.".to_owned()),
    ]
}

/// A value of any JSON type, shallow.
fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|number| json!(number)),
        text().prop_map(Value::from),
        prop::collection::vec(text().prop_map(Value::from), 0..3).prop_map(Value::from),
        Just(json!({"nested": {"deeper": [1, "two"]}})),
    ]
}

fn field_key() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            0usize..3,
            prop::sample::select(vec!["id", "data", "metadata.status", "tenant"])
        )
            .prop_map(|(position, field)| format!("items.{position}.{field}")),
        Just("collection.slug".to_owned()),
        Just("items".to_owned()),
        "[ -~]{0,20}",
    ]
}

/// Field errors: mostly lists of messages, sometimes anything.
fn field_errors() -> impl Strategy<Value = Value> {
    let messages = prop_oneof![
        prop::collection::vec(text().prop_map(Value::from), 0..3).prop_map(Value::from),
        text().prop_map(Value::from),
        any_json(),
    ];
    prop_oneof![
        prop::collection::btree_map(field_key(), messages, 0..4)
            .prop_map(|errors| Value::Object(errors.into_iter().collect())),
        any_json(),
    ]
}

/// A body shaped like the API's errors, with parts missing, mistyped or
/// extra.
fn error_shaped() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::option::of(prop_oneof![text().prop_map(Value::from), any_json()]),
        prop::option::of(field_errors()),
        prop::option::of(any_json()),
    )
        .prop_map(|(message, errors, extra)| {
            let mut body = Map::new();
            if let Some(message) = message {
                body.insert("message".into(), message);
            }
            if let Some(errors) = errors {
                body.insert("errors".into(), errors);
            }
            if let Some(extra) = extra {
                body.insert("exception".into(), extra);
            }
            Value::Object(body).to_string().into_bytes()
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => error_shaped(),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => text().prop_map(|text| format!("<html><body><h1>{text}</h1></body></html>").into_bytes()),
        1 => (0usize..40_000).prop_map(|size| vec![b'a'; size]),
        1 => error_shaped().prop_map(|body| body[..body.len() / 2].to_vec()),
    ]
}

fn retry_after() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        any::<u64>().prop_map(|seconds| seconds.to_string()),
        (0u64..5).prop_map(|seconds| seconds.to_string()),
        any::<i32>().prop_map(|seconds| seconds.to_string()),
        any::<f64>().prop_map(|seconds| seconds.to_string()),
        (-100_000i64..100_000).prop_map(|offset| {
            let now = SystemTime::now();
            let at = if offset < 0 {
                now - Duration::from_secs(offset.unsigned_abs())
            } else {
                now + Duration::from_secs(offset.unsigned_abs())
            };
            httpdate::fmt_http_date(at)
        }),
        "[ -~]{0,30}",
    ])
}

/// The client's answer to one scripted reply (and, if it retries, a 201).
async fn send(reply: Vec<u8>) -> (Result<UpsertReport, Error>, usize) {
    let server = Scripted::start(vec![reply]).await;
    let client = support::build(
        Client::builder()
            .api_key(KEY)
            .base_url(server.base_url())
            .pacer(NoPacing)
            .retry_policy(
                RetryPolicy::default()
                    .max_attempts(2)
                    .initial_backoff(Duration::from_millis(1))
                    .max_backoff(Duration::from_millis(1))
                    .max_retry_after(RETRY_AFTER_LIMIT),
            ),
    );
    let invoice = support::invoice(1);
    let result = client.upsert_all([&invoice]).await;
    (result, server.received().len())
}

#[test]
fn any_answer_is_sorted_the_documented_way_and_its_message_kept() {
    check(
        &runtime(),
        (status(), body(), retry_after()),
        |(status, body, retry_after)| {
            Box::pin(async move {
                let mut headers = vec![("Content-Type", "application/json")];
                if let Some(value) = &retry_after {
                    headers.push(("Retry-After", value));
                }
                let (result, requests) = send(script::reply_bytes(status, &headers, &body)).await;

                let retryable = status >= 500 || status == 408 || status == 429;
                match result {
                    Ok(report) => {
                        prop_assert!((200..300).contains(&status) || retryable, "{status}");
                        prop_assert_eq!(report.items, 1);
                        prop_assert_eq!(requests, if retryable { 2 } else { 1 });
                        // The policy's wait, and at most a tenth more to spread
                        // retries; no pacer here.
                        let limit = RETRY_AFTER_LIMIT + RETRY_AFTER_LIMIT / 10;
                        prop_assert!(report.waited <= limit, "{:?}", report.waited);
                    }
                    Err(Error::Upsert(error)) => {
                        prop_assert!(!(200..300).contains(&status) && !retryable, "{status}");
                        prop_assert_eq!(requests, 1);
                        prop_assert_eq!(error.failed_ids(), ["1"]);
                        let _ = format!("{error} {error:?}");
                        match error.failures()[0].error() {
                            Error::ItemTooLarge { id, .. } => {
                                prop_assert_eq!(status, 413);
                                prop_assert_eq!(id, "1");
                            }
                            Error::Api(api) => {
                                prop_assert_eq!(api.status, status);
                                // A 304 has no body, whatever follows its head.
                                let body = if status == 304 { &[][..] } else { &body[..] };
                                check_kept(api, body)?;
                            }
                            other => prop_assert!(false, "{status}: {other:?}"),
                        }
                    }
                    Err(other) => prop_assert!(false, "{status}: {other:?}"),
                }
                Ok(())
            })
        },
    );
}

/// The API's message and field errors are kept when the body has them;
/// otherwise at most 8 KiB of the body is.
fn check_kept(api: &vectorify_core::ApiError, body: &[u8]) -> Result<(), TestCaseError> {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let message = parsed
        .as_ref()
        .and_then(|body| body.get("message"))
        .and_then(Value::as_str);
    if let Some(message) = message {
        let kept = api.message.as_deref();
        prop_assert!(
            kept.is_some_and(|kept| message.starts_with(kept.trim_end_matches('…'))),
            "message {message:?} kept as {kept:?}"
        );
    }
    if let Some(Value::Object(errors)) = parsed.as_ref().and_then(|body| body.get("errors")) {
        for (field, messages) in errors {
            let texts: Vec<&str> = match messages {
                Value::String(text) => vec![text.as_str()],
                Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            if texts.is_empty() {
                continue;
            }
            let kept = api.errors.get(field);
            prop_assert!(
                kept.is_some_and(|kept| texts.iter().all(|text| kept.iter().any(|k| k == text))),
                "errors of {field:?}: {messages} kept as {kept:?}"
            );
        }
    }
    if api.message.is_none() && api.errors.is_empty() {
        let kept = api.body.as_deref().unwrap_or_default();
        prop_assert!(kept.len() <= 8 * 1024 + '…'.len_utf8(), "{}", kept.len());
        prop_assert_eq!(kept.is_empty(), body.is_empty());
    } else {
        prop_assert_eq!(&api.body, &None);
    }
    Ok(())
}
