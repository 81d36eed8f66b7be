//! Helpers shared by the tests: a client, requests, and sample bodies.

use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use vectorify_emulator::{Emulator, EmulatorBuilder};

pub const KEY: &str = "test-key";

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The keys of a 422's `errors`, sorted.
    pub fn error_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.json["errors"]
            .as_object()
            .map(|errors| errors.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }
}

/// A started emulator with a client that talks to it.
pub struct Api {
    pub emulator: Emulator,
    pub client: reqwest::Client,
}

pub fn builder() -> EmulatorBuilder {
    Emulator::builder().api_key(KEY)
}

pub async fn start() -> Api {
    start_with(builder()).await
}

pub async fn start_with(builder: EmulatorBuilder) -> Api {
    let emulator = builder.start().await.expect("the emulator starts");
    Api {
        emulator,
        client: client(),
    }
}

/// A client that opens a new connection for every request, so that a
/// closed connection never affects the next request.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .build()
        .expect("a client")
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    /// Sends a request with the key; panics if no answer comes.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        self.try_call(method, path, body, Some(KEY))
            .await
            .expect("an answer")
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let body = body.map(|b| b.to_string().into_bytes());
        self.send_raw(method, path, body, key).await
    }

    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        key: Option<&str>,
    ) -> reqwest::Result<Reply> {
        let mut request = self
            .client
            .request(method, self.url(path))
            .header("accept", "application/json");
        if let Some(key) = key {
            request = request.header("api-key", key);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            headers,
            text,
            json,
        })
    }
}

/// The collection declaration of the seed's invoices.
pub fn invoices() -> Value {
    json!({
        "slug": "invoices",
        "metadata": {
            "customer_name": {"type": "string"},
            "status": {"type": "enum", "options": ["draft", "sent", "paid"]},
            "due_date": {"type": "datetime"}
        }
    })
}

/// An invoice item.
pub fn invoice(id: &str, tenant: Option<i64>, customer: &str, status: &str) -> Value {
    json!({
        "id": id,
        "data": {"customer_name": customer, "status": status, "amount": "100", "currency": "USD"},
        "metadata": {"customer_name": customer, "status": status, "due_date": "2023-10-01"},
        "tenant": tenant,
        "url": format!("https://app.example.com/invoices/{id}")
    })
}

/// An upsert body of the invoices collection.
pub fn upsert_of(items: Vec<Value>) -> Value {
    json!({"collection": invoices(), "items": items})
}

/// An upsert body of one invoice.
pub fn one_invoice() -> Value {
    upsert_of(vec![invoice("123", Some(987), "John Doe", "draft")])
}
