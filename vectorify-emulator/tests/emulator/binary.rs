//! The `vectorify-emulator` binary.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_vectorify-emulator");

/// Kills the child when the test ends, passed or not.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_lists_every_flag() {
    let output = Command::new(BINARY).arg("--help").output().expect("runs");

    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--host",
        "--port",
        "--api-key",
        "--max-body-bytes",
        "--processing-ms",
        "--rate-limit",
        "--rate-window-secs",
        "--seed",
        "--server-errors",
        "--rate-limited",
        "--dropped-connections",
        "--lost-responses",
        "--retry-after-secs",
        "--latency-ms",
        "--latency-jitter-ms",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn unknown_flags_and_bad_values_exit_with_2() {
    for args in [
        &["--bogus"][..],
        &["--port", "many"],
        &["--server-errors", "1.5"],
        &["--seed"],
    ] {
        let output = Command::new(BINARY).args(args).output().expect("runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(!output.stderr.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn binary_serves_and_logs_one_line_per_request_without_the_key() {
    let key = "binary-secret-key";
    let mut child = Command::new(BINARY)
        .args(["--port", "0", "--api-key", key, "--rate-limit", "100"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("piped");
    let _running = Running(child);
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_line = || lines.recv_timeout(Duration::from_secs(10)).expect("a line");

    let banner = next_line();
    let base_url = banner
        .split_whitespace()
        .last()
        .unwrap_or_default()
        .to_owned();
    assert!(
        base_url.starts_with("http://127.0.0.1:") && base_url.ends_with("/v1/"),
        "{banner}"
    );
    let client = crate::common::client();
    let response = client
        .get(format!("{base_url}upserts"))
        .header("api-key", key)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response
            .headers()
            .get("x-ratelimit-limit")
            .and_then(|v| v.to_str().ok()),
        Some("100")
    );

    let log = loop {
        let line = next_line();
        if line.contains("/v1/upserts") {
            break line;
        }
        assert!(!line.contains(key), "{line}");
    };
    assert!(log.contains("GET /v1/upserts 200 items=0"), "{log}");
    assert!(!log.contains(key), "{log}");
}
