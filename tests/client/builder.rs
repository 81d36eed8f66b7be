//! Building a client: what is refused, and what the environment sets.

use std::process::Command;

use vectorify_core::{Client, DEFAULT_BASE_URL, Error, Vectorify};

use crate::support::{self, KEY};

fn config_error(builder: vectorify_core::ClientBuilder) -> String {
    match builder.build() {
        Err(Error::Config(message)) => message,
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(client) => panic!("expected a configuration error, got {client:?}"),
    }
}

#[test]
fn an_empty_or_missing_key_is_refused() {
    assert!(config_error(Client::builder().api_key("")).contains("empty"));
    assert!(config_error(Client::builder().api_key(" \t\n ")).contains("empty"));
    assert!(config_error(Client::builder()).contains("no API key"));
}

#[test]
fn the_key_is_trimmed_and_the_default_url_is_the_api() {
    let client = support::build(Client::builder().api_key("  key \n"));
    assert_eq!(client.base_url().as_str(), DEFAULT_BASE_URL);
}

#[test]
fn a_bad_url_is_refused() {
    for url in [
        "not a url",
        "ftp://example.com/v1/",
        "https://",
        "https://user:pw@api.example.com/v1/",
    ] {
        let message = config_error(Client::builder().api_key("key").base_url(url));
        assert!(message.contains("base URL"), "{url}: {message}");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_refused_unless_allowed() {
    let remote = || {
        Client::builder()
            .api_key("key")
            .base_url("http://api.example.com/v1/")
    };
    assert!(config_error(remote()).contains("plain http"));
    assert!(remote().allow_plain_http(true).build().is_ok());

    for local in [
        "http://127.0.0.1:8787/v1/",
        "http://localhost:8787/v1",
        "http://[::1]:8787/v1/",
    ] {
        let client = support::build(Client::builder().api_key("key").base_url(local));
        assert!(client.base_url().as_str().ends_with("/v1/"), "{local}");
    }
}

#[test]
fn a_base_url_without_a_final_slash_keeps_its_path() {
    let client = support::build(
        Client::builder()
            .api_key("key")
            .base_url("http://127.0.0.1:8787/v1"),
    );
    assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8787/v1/");
}

#[tokio::test]
async fn an_injected_http_client_is_used() {
    let emulator = support::start(support::emulator()).await;
    let http = reqwest::Client::builder().user_agent("my-app/1.0").build();
    let http = support::ok(http);
    let client = support::build(support::builder(&emulator).http_client(http));

    support::ok(support::invoice(1).upsert(&client).await);

    let requests = emulator.requests();
    assert_eq!(requests[0].header("user-agent"), Some("my-app/1.0"));
    emulator.shutdown().await;
}

/// The variable that makes [`from_env_child`] do its work.
const CHILD: &str = "VECTORIFY_CLIENT_TEST_CHILD";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_env_reads_the_key_and_base_url() {
    let emulator = support::start(support::emulator()).await;

    // The environment is the process's: set it for a child run of this
    // test binary rather than for every test running here.
    let exe = support::ok(std::env::current_exe());
    let base_url = emulator.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args([
                "builder::from_env_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .env("VECTORIFY_API_KEY", format!("  {KEY}  "))
            .env("VECTORIFY_BASE_URL", base_url)
            .output()
    })
    .await;
    let output = support::ok(support::ok(output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");

    assert_eq!(
        emulator.item_count(),
        1,
        "the child upserted through the emulator"
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn from_env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let client = support::ok(Client::from_env());
    support::ok(support::invoice(42).upsert(&client).await);
}
