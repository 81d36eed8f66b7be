//! What the `api`, `client` and `reliability` test binaries share: the
//! invoice status, an emulator without processing delay, quick retries,
//! unwrapping with a readable panic, and running one test of this binary in
//! a child process that logs at trace level.

// Each test binary uses only some of these items.
#![allow(dead_code)]

use std::process::Command;
use std::time::Duration;

use serde::Serialize;
use tracing::Level;
use vectorify_core::{RetryPolicy, Vectorify};
use vectorify_emulator::{Emulator, EmulatorBuilder};

#[derive(Clone, Copy, Debug, Serialize, Vectorify)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Sent,
    Paid,
}

/// An emulator with `key` and no processing delay.
pub fn emulator(key: &str) -> EmulatorBuilder {
    Emulator::builder()
        .api_key(key)
        .processing_time(Duration::ZERO)
}

pub async fn start(builder: EmulatorBuilder) -> Emulator {
    match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => panic!("the emulator did not start: {error}"),
    }
}

/// Retries quick enough for tests and many enough that seeded faults never
/// exhaust them.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(12)
        .initial_backoff(Duration::from_millis(2))
        .max_backoff(Duration::from_millis(40))
        .max_retry_after(Duration::from_secs(2))
}

pub fn ok<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("expected success, got: {error}"),
    }
}

/// Runs the test `name` of this test binary alone, in a child process with
/// the variable `child` set, and returns what it wrote to stdout and stderr
/// once it has passed.
pub async fn run_child(name: &'static str, child: &'static str) -> (String, String) {
    let exe = ok(std::env::current_exe());
    let output = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args([name, "--exact", "--nocapture", "--test-threads=1"])
            .env(child, "1")
            .output()
    })
    .await;
    let output = ok(ok(output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    (stdout, stderr)
}

/// Whether this process is the child [`run_child`] started with `child`.
/// If so, every event from here on is written to stdout at trace level.
pub fn is_tracing_child(child: &str) -> bool {
    if std::env::var_os(child).is_none() {
        return false;
    }
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_ansi(false)
        .finish();
    ok(tracing::subscriber::set_global_default(subscriber));
    true
}

/// A runtime for a child's work, which runs in a plain `#[test]`.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build())
}
