//! A server that answers with scripted raw HTTP: what the emulator never
//! sends (a proxy's pages, truncated bodies, odd `Retry-After` headers,
//! redirects), byte for byte. Each request gets the next reply of the script
//! on a connection of its own, then the connection is closed; past the end
//! of the script, every request is accepted with a 201.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A request as the server read it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The request line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
    /// The wall-clock time it was read, to compare with HTTP dates.
    pub wall: SystemTime,
}

impl Received {
    /// The number of items in an upsert body.
    pub fn items(&self) -> usize {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()
            .and_then(|body| body["items"].as_array().map(Vec::len))
            .unwrap_or(0)
    }
}

/// The upsert API's answer to an accepted batch.
pub const ACCEPTED: &str = r#"{"data":{"result":"Queued","created_at":"2024-01-01T00:00:00Z"}}"#;

/// A response: status, headers and body, with a `Content-Length` that
/// matches the body.
pub fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    raw(status, headers, body.len(), body.as_bytes())
}

/// A response with a body of any bytes.
pub fn reply_bytes(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    raw(status, headers, body.len(), body)
}

/// A JSON response.
pub fn json(status: u16, body: &str) -> Vec<u8> {
    reply(status, &[("Content-Type", "application/json")], body)
}

/// A response that declares `declared` bytes of body and sends only `body`
/// before the connection closes.
pub fn truncated(status: u16, declared: usize, body: &str) -> Vec<u8> {
    raw(
        status,
        &[("Content-Type", "application/json")],
        declared,
        body.as_bytes(),
    )
}

fn raw(status: u16, headers: &[(&str, &str)], declared: usize, body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 {status} Scripted\r\nContent-Length: {declared}\r\nConnection: close\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A running scripted server; dropping it stops it.
pub struct Scripted {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl Scripted {
    /// Starts a server on a free loopback port that answers with `replies`
    /// in order.
    pub async fn start(replies: Vec<Vec<u8>>) -> Scripted {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(listener) => listener,
            Err(error) => panic!("cannot listen: {error}"),
        };
        let port = match listener.local_addr() {
            Ok(addr) => addr.port(),
            Err(error) => panic!("no address: {error}"),
        };
        let received = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(replies)));
        let log = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (log, script) = (Arc::clone(&log), Arc::clone(&script));
                tokio::spawn(answer(stream, log, script));
            }
        });
        Scripted {
            port,
            received,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1/", self.port)
    }

    /// The requests read so far, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one request, writes the next reply, and closes the connection.
async fn answer(
    mut stream: TcpStream,
    log: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Vec<u8>>>>,
) {
    let Some((head, body)) = read_request(&mut stream).await else {
        return;
    };
    let reply = script
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop_front()
        .unwrap_or_else(|| json(201, ACCEPTED));
    log.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Received {
            head,
            body,
            wall: SystemTime::now(),
        });
    let _ = stream.write_all(&reply).await;
    let _ = stream.shutdown().await;
}

async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Some((head, body))
}
