//! What the API tests share: the invoices of the API reference, an emulator
//! holding them, a client with short retry waits, and a server that answers
//! every request with one fixed body.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use vectorify_core::{Client, ClientBuilder, Vectorify};
use vectorify_emulator::{Emulator, EmulatorBuilder};

use crate::common;

pub use crate::common::{Status, ok, quick_retries, start};

pub const KEY: &str = "api-test-key-2d81c7";

#[derive(Clone, Debug, Vectorify)]
#[vectorify(collection = "invoices", url = "https://app.example.com/invoices/{id}")]
pub struct Invoice {
    #[vectorify(id)]
    pub id: u64,
    #[vectorify(metadata)]
    pub customer_name: String,
    #[vectorify(metadata)]
    pub status: Status,
    pub amount: String,
    pub currency: String,
    pub due_date: String,
    #[vectorify(tenant)]
    pub tenant: u64,
}

/// The API reference's invoice (123, John Doe, draft, tenant 987) and a few
/// like it, one of them of another tenant.
pub fn invoices() -> Vec<Invoice> {
    let invoice = |id, customer_name: &str, status, amount: &str, tenant| Invoice {
        id,
        customer_name: customer_name.into(),
        status,
        amount: amount.into(),
        currency: "USD".into(),
        due_date: "2023-10-01".into(),
        tenant,
    };
    vec![
        invoice(123, "John Doe", Status::Draft, "100", 987),
        invoice(124, "Jane Roe", Status::Sent, "250", 987),
        invoice(125, "Acme Corp", Status::Paid, "1200", 987),
        invoice(126, "Globex", Status::Draft, "75", 654),
    ]
}

/// An emulator with the test key and no processing delay.
pub fn emulator() -> EmulatorBuilder {
    common::emulator(KEY)
}

pub fn builder(base_url: &str) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(base_url)
        .retry_policy(quick_retries())
}

pub fn client(emulator: &Emulator) -> Client {
    ok(builder(&emulator.base_url()).build())
}

/// An emulator holding [`invoices`], its request log cleared, and a client
/// of it.
pub async fn with_invoices() -> (Emulator, Client) {
    let emulator = start(emulator()).await;
    let client = client(&emulator);
    ok(client.upsert_all(&invoices()).await);
    emulator.clear_requests();
    (emulator, client)
}

pub fn read<T: serde::de::DeserializeOwned>(json: &str) -> T {
    match serde_json::from_str(json) {
        Ok(value) => value,
        Err(error) => panic!("{json} did not read: {error}"),
    }
}

/// A server on a loopback port that answers every request `200` with
/// `body`, for answers the emulator never gives. It serves until the test
/// process ends; returns its base URL.
pub fn fixed_answer(body: &'static str) -> String {
    let listener = ok(TcpListener::bind("127.0.0.1:0"));
    let addr = ok(listener.local_addr());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let _ = answer(stream, body);
        }
    });
    format!("http://{addr}/v1/")
}

fn answer(stream: std::net::TcpStream, body: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut length = 0;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut request_body = vec![0; length];
    reader.read_exact(&mut request_body)?;
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
