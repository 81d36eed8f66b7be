//! The emulator's cost per `POST /v1/upserts` request, for a body of 90
//! invoices shaped like the ones the benchmarks send (the README's invoice),
//! re-sent into an emulator that already holds them, so that the store does
//! not grow.
//!
//! The emulator runs in-process on a single-threaded runtime; the client is a
//! plain blocking socket on a thread of its own that writes a prebuilt request
//! and reads the answer over one keep-alive connection, so that almost every
//! instruction counted is the emulator's. Count instructions rather than time
//! them: the figure does not depend on what else the machine is running.
//!
//! From the workspace root:
//!
//! ```text
//! cargo build --release -p vectorify-emulator --example upsert_cost
//! for n in 20 200; do
//!   valgrind --tool=callgrind --callgrind-out-file=/tmp/callgrind.upsert.$n \
//!     target/release/examples/upsert_cost $n
//! done
//! # instructions per request = (total at 200 - total at 20) / 180
//! callgrind_annotate /tmp/callgrind.upsert.20  | grep 'PROGRAM TOTALS'
//! callgrind_annotate /tmp/callgrind.upsert.200 | grep 'PROGRAM TOTALS'
//! # where they go:
//! callgrind_annotate --inclusive=yes /tmp/callgrind.upsert.200 | head -60
//! ```
//!
//! For reference: about 1.27 M instructions (911 allocations) per request
//! while upserts were read by the typed reader, about 0.43 M (97
//! allocations) with the plain reader and packed items.
//!
//! Without valgrind the example just runs: `cargo run --release -p
//! vectorify-emulator --example upsert_cost -- 200` sends 200 requests and
//! prints how long they took.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use serde_json::{Value, json};
use vectorify_emulator::Emulator;

/// The key the emulator is started with.
const KEY: &str = "bench-key";

/// Items per request: the API's limit, as the client chunks them.
const ITEMS: u64 = 90;

/// The body of one upsert: the collection schema and 90 invoices.
fn upsert_body() -> Vec<u8> {
    let items: Vec<Value> = (1..=ITEMS)
        .map(|id| {
            json!({
                "id": id.to_string(),
                "data": {
                    "customer_name": "John Doe",
                    "status": "draft",
                    "amount": "100",
                    "currency": "USD",
                    "due_date": "2023-10-01",
                },
                "metadata": {"customer_name": "John Doe", "status": "draft"},
                "tenant": 987,
                "url": format!("https://app.example.com/invoices/{id}"),
            })
        })
        .collect();
    json!({
        "collection": {
            "slug": "invoices",
            "metadata": {
                "customer_name": {"type": "string"},
                "status": {"type": "enum", "options": ["draft", "sent", "paid"]},
            },
        },
        "items": items,
    })
    .to_string()
    .into_bytes()
}

/// The whole request as the client writes it: head and body.
fn upsert_request(addr: SocketAddr, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST /v1/upserts HTTP/1.1\r\n\
         host: {addr}\r\n\
         accept: application/json\r\n\
         content-type: application/json\r\n\
         api-key: {KEY}\r\n\
         user-agent: vectorify-bench\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

/// Sends `request` `count` times over one connection; each answer must be a
/// 201. Reads each answer whole (head, then `content-length` bytes).
fn send(addr: SocketAddr, request: &[u8], count: usize) -> io::Result<()> {
    let stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    let mut body = Vec::new();
    for _ in 0..count {
        writer.write_all(request)?;
        line.clear();
        reader.read_line(&mut line)?;
        if !line.starts_with("HTTP/1.1 201") {
            return Err(io::Error::other(format!("unexpected answer: {line:?}")));
        }
        let mut length = 0usize;
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().map_err(io::Error::other)?;
                }
            }
        }
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let count: usize = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| io::Error::other(format!("not a request count: {arg}")))?,
        None => 200,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let emulator = Emulator::builder().api_key(KEY).start().await?;
        let request = upsert_request(emulator.addr(), &upsert_body());
        let addr = emulator.addr();

        // One request first stores the items, so that the measured ones only
        // replace them, as a re-sent batch does.
        let started = tokio::task::spawn_blocking(move || {
            send(addr, &request, 1)?;
            let started = Instant::now();
            send(addr, &request, count)?;
            Ok::<_, io::Error>(started.elapsed())
        })
        .await
        .map_err(io::Error::other)??;

        assert_eq!(emulator.item_count(), ITEMS as usize);
        assert_eq!(emulator.request_count(), count as u64 + 1);
        println!(
            "{count} upserts of {ITEMS} items in {:.1} ms ({:.1} µs each)",
            started.as_secs_f64() * 1000.0,
            started.as_secs_f64() * 1e6 / count.max(1) as f64
        );
        emulator.shutdown().await;
        Ok(())
    })
}
