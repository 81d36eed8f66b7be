//! The key stays a secret even when the server misbehaves: an answer that
//! echoes it does not carry it into errors or logs, and a redirect does not
//! take it to another host.
//!
//! That the key never appears in trace logs of ordinary runs (the client's,
//! the HTTP stack's and the emulator's own events, and the `Debug` of the
//! client, its builder and its errors) is pinned in
//! `tests/client/secrets.rs`; that the emulator binary never logs it, in
//! `vectorify-emulator/tests/emulator/binary.rs`.

use proptest::prelude::*;
use vectorify_core::{Client, Error, RetryPolicy, Vectorify};

use crate::common;
use crate::responses::config;
use crate::script::{self, Scripted};
use crate::support::{self, invoices};

const SECRET: &str = "vk_live_Echo3d-S3cret-8c1f";

/// The variable that makes [`echoed_key_child`] do its work.
const CHILD: &str = "VECTORIFY_ECHOED_KEY_CHILD";

/// Runs [`echoed_key_child`] in a child process of this test binary, where
/// a global subscriber sees every event at trace level (a subscriber scoped
/// to one test can miss events while other tests run), and reads all it
/// wrote.
#[tokio::test]
async fn a_key_the_server_echoes_back_is_redacted_from_errors_and_logs() {
    let (stdout, stderr) = common::run_child("secrets::echoed_key_child", CHILD).await;

    // The answers were logged, and printed, with the key cut out.
    assert!(stdout.contains("batch will be sent again"), "{stdout}");
    assert!(stdout.contains("batch refused"), "{stdout}");
    assert!(stdout.contains("Api-Key: <redacted>"), "{stdout}");
    assert!(stdout.contains("Refused for <redacted>."), "{stdout}");
    assert!(stdout.contains("Unknown key <redacted>."), "{stdout}");
    assert!(!stdout.contains(SECRET), "the key is in the output");
    assert!(!stderr.contains(SECRET), "the key is in the output");
}

#[test]
fn echoed_key_child() {
    if !common::is_tracing_child(CHILD) {
        return;
    }
    common::current_thread_runtime().block_on(async {
        let echoed = format!("Api-Key: {SECRET}");
        let server = Scripted::start(vec![
            script::reply(
                502,
                &[("Content-Type", "text/html")],
                &format!("<html><body><h1>502 Bad Gateway</h1><pre>{echoed}</pre></body></html>"),
            ),
            script::json(
                422,
                &format!(
                    r#"{{"message":"Key {SECRET} may not write here.","errors":{{"items.0.id":["Refused for {SECRET}."]}}}}"#
                ),
            ),
            script::json(401, &format!(r#"{{"message":"Unknown key {SECRET}."}}"#)),
            script::json(403, &format!(r#"{{"message":"{SECRET}"}}"#)),
        ])
        .await;
        let client = support::build(
            Client::builder()
                .api_key(SECRET)
                .base_url(server.base_url())
                .max_in_flight(1)
                .retry_policy(support::quick_retries()),
        );
        let invoices = invoices(2);

        let bulk = client.upsert_all(&invoices).await.err();
        let single = invoices[0].upsert(&client).await.err();

        assert_eq!(server.received().len(), 4);
        for error in [bulk, single] {
            let error = error.unwrap_or_else(|| panic!("each of these must fail"));
            println!("PRINTED {error}\n{error:?}\n{error:#?}");
            if let Error::Upsert(upsert) = &error {
                for failure in upsert.failures() {
                    println!("PRINTED {failure}\n{:?}", failure.error());
                }
            }
        }
    });
}

#[tokio::test]
async fn a_redirect_is_not_followed_so_the_key_stays_with_the_api() {
    let elsewhere = Scripted::start(Vec::new()).await;
    let location = format!("{}upserts", elsewhere.base_url());
    for status in [301, 302, 307, 308] {
        let server = Scripted::start(vec![script::reply(
            status,
            &[("Location", location.as_str())],
            "",
        )])
        .await;
        let client = support::build(
            Client::builder()
                .api_key(SECRET)
                .base_url(server.base_url())
                .retry_policy(RetryPolicy::no_retries()),
        );

        let error = support::invoice(1).upsert(&client).await.err();

        assert_eq!(error.and_then(|error| error.status()), Some(status));
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert!(received[0].head.to_ascii_lowercase().contains("api-key:"));
    }
    assert!(
        elsewhere.received().is_empty(),
        "the key went to the redirect's host"
    );
}

#[tokio::test]
async fn a_success_answer_that_does_not_read_keeps_its_body_without_the_key() {
    let page = format!("<html><body>debug: api-key={SECRET}</body></html>");
    let server = Scripted::start(vec![script::reply(
        200,
        &[("Content-Type", "text/html")],
        &page,
    )])
    .await;
    let client = support::build(
        Client::builder()
            .api_key(SECRET)
            .base_url(server.base_url())
            .retry_policy(RetryPolicy::no_retries()),
    );

    let error = client.fetch_upsert(1).await.err();

    match &error {
        Some(Error::Decode { body, .. }) => {
            assert!(body.contains("debug: api-key=<redacted>"), "{body}");
        }
        other => panic!("expected a decode error, got {other:?}"),
    }
    let shown = format!(
        "{error:?} {}",
        error.as_ref().map(ToString::to_string).unwrap_or_default()
    );
    assert!(!shown.contains(SECRET), "{shown}");
}

/// Base URLs written wrong in every way, some with the key in them (the key
/// and the URL swapped, the key in a query string).
fn base_url() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec![
        "https://", "http://", "HTTPS://", "ftp://", "https:/", "",
    ]);
    let host = prop::sample::select(vec![
        "api.vectorify.ai".to_owned(),
        "127.0.0.1:8787".to_owned(),
        "[::1]".to_owned(),
        "localhost:99999".to_owned(),
        "exa mple.com".to_owned(),
        "user:pw@api.example.com".to_owned(),
        String::new(),
        SECRET.to_owned(),
    ]);
    let path = prop::sample::select(vec!["", "/v1", "/v1/", "/a b/", "/%zz"]);
    let query = prop::sample::select(vec![
        String::new(),
        "?x=1".to_owned(),
        "#top".to_owned(),
        format!("?api_key={SECRET}"),
    ]);
    prop_oneof![
        4 => (scheme, host, path, query)
            .prop_map(|(scheme, host, path, query)| format!("{scheme}{host}{path}{query}")),
        1 => Just(SECRET.to_owned()),
        1 => any::<String>(),
    ]
}

#[test]
fn configuration_errors_never_repeat_the_key_whatever_the_base_url() {
    let mut runner = proptest::test_runner::TestRunner::new(config());
    let result = runner.run(&base_url(), |url| {
        match Client::builder()
            .api_key(SECRET)
            .base_url(url.as_str())
            .build()
        {
            Ok(client) => {
                let base = client.base_url();
                prop_assert!(matches!(base.scheme(), "http" | "https"), "{url}");
                prop_assert!(
                    base.host_str().is_some_and(|host| !host.is_empty()),
                    "{url}"
                );
                prop_assert!(base.as_str().ends_with('/'), "{url}");
            }
            Err(Error::Config(message)) => {
                prop_assert!(!message.contains(SECRET), "{url:?}: {message}");
            }
            Err(other) => prop_assert!(false, "{url:?}: {other:?}"),
        }
        Ok(())
    });
    if let Err(error) = result {
        panic!("{error}");
    }
}
