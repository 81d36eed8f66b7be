//! The key is a secret: never in logs at trace level, never in `Debug` or
//! `Display` of the client, its builder or its errors.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tracing::Level;
use vectorify_core::{ApiKey, Client, Vectorify};
use vectorify_emulator::Faults;

use crate::support::{self, Day, invoices};

const SECRET: &str = "vk_live_S3CR3T-never-print-me";

/// Collects everything written to it.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a client through successes, retries and refusals with every event
/// of every crate recorded at trace level (as `RUST_LOG=trace` would), on
/// one thread so that the recording sees all of them.
#[test]
fn the_key_never_appears_in_trace_logs() {
    // Records of the `log` crate (used by parts of the HTTP stack) too.
    let _ = tracing_log::LogTracer::init();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();

    let outputs = tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        let runtime = runtime.unwrap_or_else(|error| panic!("no runtime: {error}"));
        runtime.block_on(async {
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
            emulator.shutdown().await;

            let bulk = bulk.err().unwrap_or_else(|| panic!("one item is invalid"));
            let single = single
                .err()
                .unwrap_or_else(|| panic!("the item is invalid"));
            format!("{bulk}\n{bulk:?}\n{single}\n{single:?}\n{client:?}")
        })
    });

    let logs = captured.text();
    assert!(
        logs.contains("batch will be sent again"),
        "the run was logged at all:\n{logs}"
    );
    assert!(logs.contains("TRACE") || logs.contains("DEBUG"));
    assert!(!logs.contains(SECRET), "the key is in the logs");
    assert!(
        !outputs.contains(SECRET),
        "the key is in an error or the client: {outputs}"
    );
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
