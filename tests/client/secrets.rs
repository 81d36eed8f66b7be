//! The key is a secret: never in logs at trace level, never in `Debug` or
//! `Display` of the client, its builder or its errors.

use std::time::Duration;

use vectorify_core::{ApiKey, Client, Vectorify};
use vectorify_emulator::Faults;

use crate::common;
use crate::support::{self, Day, invoices};

const SECRET: &str = "vk_live_S3CR3T-never-print-me";

/// The variable that makes [`trace_logs_child`] do its work.
const CHILD: &str = "VECTORIFY_CLIENT_TRACE_CHILD";

/// Runs a client through successes, retries and refusals in a child
/// process that logs every event of every crate at trace level (as
/// `RUST_LOG=trace` would) and prints the errors and the client, then reads
/// all it wrote.
#[tokio::test]
async fn the_key_never_appears_in_trace_logs_or_printed_errors() {
    let (stdout, stderr) = common::run_child("secrets::trace_logs_child", CHILD).await;

    // The run was logged, down to the HTTP stack's trace events.
    assert!(stdout.contains("batch will be sent again"), "{stdout}");
    assert!(stdout.contains("batch refused"), "{stdout}");
    assert!(stdout.contains(" TRACE "), "{stdout}");
    assert!(stdout.contains("PRINTED"), "{stdout}");

    assert!(!stdout.contains(SECRET), "the key is in the output");
    assert!(!stderr.contains(SECRET), "the key is in the output");
}

#[test]
fn trace_logs_child() {
    if !common::is_tracing_child(CHILD) {
        return;
    }
    // Records of the `log` crate (used by parts of the HTTP stack) too.
    support::ok(tracing_log::LogTracer::init());

    common::current_thread_runtime().block_on(async {
        let faults = Faults::none()
            .seed(9)
            .server_errors(0.2)
            .dropped_connections(0.1)
            .lost_responses(0.1);
        let emulator = support::start(support::emulator().api_key(SECRET).faults(faults)).await;
        let client = support::client(&emulator);
        let mut invoices = invoices(400);
        invoices[17].due_date = Day("not a date".into());

        let bulk = client.upsert_all(&invoices).await;
        let single = invoices[17].upsert(&client).await;
        let wrong = support::build(
            Client::builder()
                .api_key(format!("{SECRET}-wrong"))
                .base_url(emulator.base_url()),
        );
        let refused = invoices[0].upsert(&wrong).await;
        emulator.shutdown().await;

        for error in [bulk.err(), single.err(), refused.err()] {
            let error = error.unwrap_or_else(|| panic!("each of these must fail"));
            println!("PRINTED {error}\n{error:?}\n{error:#?}");
        }
        println!("PRINTED {client:?} {wrong:#?}");
    });
}

#[test]
fn debug_output_of_the_key_client_and_builder_is_redacted() {
    let key = ApiKey::from(SECRET);
    assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");

    let builder = Client::builder()
        .api_key(SECRET)
        .base_url("http://127.0.0.1:9/v1/");
    let shown = format!("{builder:?} {builder:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");

    let client = support::build(builder.timeout(Duration::from_secs(5)));
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("127.0.0.1:9"), "{shown}");
}

#[test]
fn configuration_errors_never_echo_the_key() {
    let invalid = format!("{SECRET}\n");
    for builder in [
        Client::builder().api_key(format!("{SECRET}\u{1}")),
        Client::builder()
            .api_key(invalid.as_str())
            .base_url("http://example.com/v1/"),
        Client::builder().api_key(SECRET).base_url("not a url"),
    ] {
        let error = builder
            .build()
            .err()
            .unwrap_or_else(|| panic!("must not build"));
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[tokio::test]
async fn a_connection_error_does_not_show_the_key() {
    // Nothing listens on port 9 of loopback: the connection is refused.
    let client = support::build(
        Client::builder()
            .api_key(SECRET)
            .base_url("http://127.0.0.1:9/v1/")
            .retry_policy(vectorify_core::RetryPolicy::no_retries()),
    );
    let error = support::invoice(1).upsert(&client).await.err();
    let error = error.unwrap_or_else(|| panic!("nothing listens"));
    assert!(
        matches!(error, vectorify_core::Error::Connection(_)),
        "{error:?}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
}
