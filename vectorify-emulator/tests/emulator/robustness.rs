//! Whatever a client sends, it gets an answer: no input makes the emulator
//! drop a connection or fail with a 5xx.

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

const PATHS: &[&[&str]] = &[
    &["collection"],
    &["collection", "slug"],
    &["collection", "metadata"],
    &["collection", "metadata", "status"],
    &["collection", "metadata", "status", "options"],
    &["collection", "metadata", "status", "options", "0"],
    &["items"],
    &["items", "0"],
    &["items", "0", "id"],
    &["items", "0", "data"],
    &["items", "0", "metadata"],
    &["items", "0", "metadata", "status"],
    &["items", "0", "metadata", "due_date"],
    &["items", "0", "tenant"],
    &["items", "0", "url"],
    &["text"],
    &["tenant"],
    &["collections"],
    &["feedback"],
];

fn odd_value(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(0..12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(u64::MAX),
        4 => json!(1.5e300),
        5 => json!(""),
        6 => json!("   "),
        7 => json!("ünïcødé ✓ \u{0}"),
        8 => json!([]),
        9 => json!({}),
        10 => json!([null, {"a": [1, {"b": "c"}]}]),
        _ => json!("9999-99-99T99:99"),
    }
}

fn set(value: &mut Value, path: &[&str], new: Value) {
    let mut at = value;
    for key in &path[..path.len() - 1] {
        at = match at {
            Value::Object(map) => map.entry(key.to_string()).or_insert(json!({})),
            Value::Array(items) => match key.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(item) => item,
                None => return,
            },
            _ => return,
        };
    }
    let last = path[path.len() - 1];
    match at {
        Value::Object(map) => {
            map.insert(last.to_owned(), new);
        }
        Value::Array(items) => {
            if let Some(item) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *item = new;
            }
        }
        _ => {}
    }
}

fn odd_body(rng: &mut fastrand::Rng) -> Vec<u8> {
    let mut body = one_invoice();
    body["text"] = json!("draft invoices");
    body["feedback"] = json!("good");
    match rng.u8(0..4) {
        0 => (0..rng.usize(0..200)).map(|_| rng.u8(..)).collect(),
        1 => {
            let text = body.to_string();
            text.as_bytes()[..rng.usize(0..text.len())].to_vec()
        }
        _ => {
            for _ in 0..rng.usize(1..4) {
                let path = PATHS[rng.usize(0..PATHS.len())];
                set(&mut body, path, odd_value(rng));
            }
            body.to_string().into_bytes()
        }
    }
}

#[tokio::test]
async fn odd_bodies_always_get_a_json_answer_below_500() {
    let api = start().await;
    api.post("chats", &json!({"text": "hello"})).await;
    let routes = [
        "upserts",
        "query",
        "chats",
        "chats/1/messages",
        "chats/1/feedback",
        "chats/1/messages/1/feedback",
    ];
    let mut rng = fastrand::Rng::with_seed(11);

    for round in 0..300 {
        let route = routes[rng.usize(0..routes.len())];
        let body = odd_body(&mut rng);
        let reply = api
            .send_raw(Method::POST, route, Some(body.clone()), Some(KEY))
            .await
            .unwrap_or_else(|e| panic!("round {round}: no answer to {route}: {e}"));

        let shown = String::from_utf8_lossy(&body);
        assert!(
            reply.status < 500,
            "round {round}: {} for {route} {shown}",
            reply.status
        );
        if reply.status >= 400 {
            assert!(
                reply.json["message"].is_string(),
                "round {round}: {}",
                reply.text
            );
        }
    }
}
