//! The API's routes under `/v1`, the authentication and fault layer in front
//! of them, and the JSON shapes of their resources.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::answer::answer;
use crate::fast;
use crate::faults::FaultKind;
use crate::plain;
use crate::respond::{self, Disconnect, Injected, ItemCount};
use crate::server::{Shared, lock};
use crate::store::{ChatEntry, MessageEntry, Role, State as StoreState, Upsert};
use crate::time::iso8601;
use crate::validate::{self, Question};

/// The router of the API; requests reach it after the server has read their
/// body and applied the rate limit.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/upserts", post(create_upsert).get(list_upserts))
        .route("/v1/upserts/{upsert}", get(show_upsert))
        .route("/v1/query", post(query))
        .route("/v1/chats", post(create_chat).get(list_chats))
        .route("/v1/chats/{chat}", get(show_chat))
        .route("/v1/chats/{chat}/messages", post(send_message))
        .route("/v1/chats/{chat}/messages/{message}", get(show_message))
        .route("/v1/chats/{chat}/feedback", post(chat_feedback))
        .route(
            "/v1/chats/{chat}/messages/{message}/feedback",
            post(message_feedback),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), guard))
        .fallback(not_found)
        // The server already enforced its own limit while reading the body.
        .layer(DefaultBodyLimit::disable())
        .with_state(shared)
}

/// Checks the key, then draws this request's faults. Only requests to known
/// routes pass here, so an unknown route is a 404 with or without a key, as
/// in Laravel, where route matching comes before authentication.
async fn guard(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !is_authorized(request.headers(), &shared.api_key) {
        return respond::message(StatusCode::UNAUTHORIZED, "Unauthenticated.");
    }

    let (decision, retry_after) = {
        let mut dice = lock(&shared.dice);
        (dice.next(), dice.faults().retry_after_secs())
    };
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }

    let Some(fault) = decision.fault else {
        return next.run(request).await;
    };
    let mut response = match fault {
        FaultKind::ServerError => respond::server_error(decision.page),
        FaultKind::RateLimited => respond::too_many_attempts(retry_after),
        FaultKind::DroppedConnection => respond::disconnect(),
        FaultKind::LostResponse => {
            let mut response = next.run(request).await;
            response.extensions_mut().insert(Disconnect);
            response
        }
    };
    response.extensions_mut().insert(Injected(fault));
    response
}

fn is_authorized(headers: &HeaderMap, api_key: &str) -> bool {
    headers
        .get("api-key")
        .is_some_and(|sent| sent.as_bytes().trim_ascii() == api_key.as_bytes())
}

async fn not_found(uri: Uri) -> Response {
    let route = uri.path().trim_start_matches('/');
    respond::message(
        StatusCode::NOT_FOUND,
        &format!("The route {route} could not be found."),
    )
}

fn missing(what: &str, id: &str) -> Response {
    respond::message(StatusCode::NOT_FOUND, &format!("No {what} with id {id}."))
}

/// Why a body was refused before it reached the store.
enum Rejection {
    Malformed(serde_json::Error),
    Invalid(validate::ValidationErrors),
}

impl Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Malformed(error) => respond::message(
                StatusCode::BAD_REQUEST,
                &format!("The request body is not valid JSON: {error}."),
            ),
            Rejection::Invalid(errors) => {
                respond::json(StatusCode::UNPROCESSABLE_ENTITY, &errors.body())
            }
        }
    }
}

/// Reads a JSON body. An empty body counts as `{}`, so that it fails
/// validation like a body without fields; malformed JSON is a 400.
fn parse_json(body: &[u8]) -> Result<Value, Rejection> {
    if body.trim_ascii().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(body).map_err(Rejection::Malformed)
}

/// Reads a JSON body and checks it.
fn read<T>(
    body: &[u8],
    check: impl FnOnce(&Value) -> Result<T, validate::ValidationErrors>,
) -> Result<T, Rejection> {
    check(&parse_json(body)?).map_err(Rejection::Invalid)
}

fn created(data: Value) -> Response {
    respond::json(StatusCode::CREATED, &json!({ "data": data }))
}

fn ok(data: Value) -> Response {
    respond::json(StatusCode::OK, &json!({ "data": data }))
}

// --- upserts ---------------------------------------------------------------

async fn create_upsert(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    // Most bodies are valid and plain: read them without building a tree,
    // and keep their items as the text they were sent as.
    if let Some(upsert) = plain::upsert(&body) {
        let item_count = upsert.items.len();
        let created_at = shared
            .store
            .lock()
            .apply_plain_upsert(upsert, shared.processing_time);
        return queued(created_at, item_count);
    }
    // Then those with escapes, exponents and the like, still without a tree.
    if let Some(upsert) = fast::upsert(&body) {
        let item_count = upsert.items.len();
        let created_at = shared
            .store
            .lock()
            .apply_upsert(upsert, shared.processing_time);
        return queued(created_at, item_count);
    }

    let body = match parse_json(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let item_count = body
        .get("items")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);

    let mut response = match validate::upsert(body) {
        Ok(upsert) => {
            let created_at = shared
                .store
                .lock()
                .apply_upsert(upsert, shared.processing_time);
            return queued(created_at, item_count);
        }
        Err(errors) => Rejection::Invalid(errors).into_response(),
    };
    response.extensions_mut().insert(ItemCount(item_count));
    response
}

/// `201` for an upsert taken, carrying its item count for the request log.
fn queued(created_at: SystemTime, item_count: usize) -> Response {
    let mut response = created(json!({ "result": "Queued", "created_at": iso8601(created_at) }));
    response.extensions_mut().insert(ItemCount(item_count));
    response
}

async fn list_upserts(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let page = PageRequest::from_query(query.as_deref());
    let (upserts, total) = shared
        .store
        .lock()
        .upserts_newest_first(page.offset(), page.per_page);
    let data = upserts.iter().map(upsert_json).collect();
    let url = format!("{}upserts", shared.base_url);
    respond::json(StatusCode::OK, &page.body(data, total, &url))
}

async fn show_upsert(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let upsert = id
        .parse()
        .ok()
        .and_then(|id| shared.store.lock().upsert(id));
    match upsert {
        Some(upsert) => ok(upsert_json(&upsert)),
        None => missing("upsert", &id),
    }
}

fn upsert_json(upsert: &Upsert) -> Value {
    json!({
        "id": upsert.id.to_string(),
        "collection": upsert.collection,
        "chunk_size": upsert.chunk_size,
        "status": upsert.status,
        "created_at": upsert.created_at,
        "completed_at": upsert.completed_at,
    })
}

// --- questions and chats ---------------------------------------------------

async fn query(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let question = match read(&body, validate::question) {
        Ok(question) => question,
        Err(rejection) => return rejection.into_response(),
    };

    // The answer belongs to a chat of its own, so its chat_id can be followed.
    let mut state = shared.store.lock();
    let chat_id = state.open_chat(&question);
    match ask(&mut state, chat_id, &question) {
        Some(message_id) => created(message_json(&state, chat_id, message_id)),
        None => missing("chat", &chat_id.to_string()),
    }
}

async fn create_chat(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let question = match read(&body, validate::question) {
        Ok(question) => question,
        Err(rejection) => return rejection.into_response(),
    };

    let mut state = shared.store.lock();
    let chat_id = state.open_chat(&question);
    ask(&mut state, chat_id, &question);
    match state.chat(chat_id) {
        Some(chat) => created(chat_json(&state, chat_id, chat)),
        None => missing("chat", &chat_id.to_string()),
    }
}

/// Adds the question and its answer to a chat; returns the answer's id.
fn ask(state: &mut StoreState, chat_id: u64, question: &Question) -> Option<u64> {
    let identifier = question.identifier.clone();
    state.add_message(
        chat_id,
        Role::User,
        question.text.clone(),
        identifier.clone(),
    )?;
    let reply = answer(state, question);
    state.add_message(chat_id, Role::Assistant, reply, identifier)
}

async fn list_chats(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let page = PageRequest::from_query(query.as_deref());
    let state = shared.store.lock();
    let total = state.chat_count();
    let data = (1..=total as u64)
        .rev()
        .skip(page.offset())
        .take(page.per_page)
        .filter_map(|id| state.chat(id).map(|chat| chat_json(&state, id, chat)))
        .collect();
    let url = format!("{}chats", shared.base_url);
    respond::json(StatusCode::OK, &page.body(data, total, &url))
}

async fn show_chat(State(shared): State<Arc<Shared>>, Path(chat): Path<String>) -> Response {
    let state = shared.store.lock();
    match chat.parse().ok().and_then(|id| Some((id, state.chat(id)?))) {
        Some((id, entry)) => ok(chat_json(&state, id, entry)),
        None => missing("chat", &chat),
    }
}

async fn send_message(
    State(shared): State<Arc<Shared>>,
    Path(chat): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = shared.store.lock();
    let Some((chat_id, entry)) = chat.parse().ok().and_then(|id| Some((id, state.chat(id)?)))
    else {
        return missing("chat", &chat);
    };
    let text = match read(&body, |body| validate::single_text(body, "text")) {
        Ok(text) => text,
        Err(rejection) => return rejection.into_response(),
    };

    // A follow-up searches what the chat's first question searched; the
    // emulator keeps no other memory of the conversation.
    let question = Question {
        text,
        collections: entry.collections.clone(),
        tenant: entry.tenant,
        identifier: entry.identifier.clone(),
    };
    match ask(&mut state, chat_id, &question) {
        Some(message_id) => created(message_json(&state, chat_id, message_id)),
        None => missing("chat", &chat),
    }
}

async fn show_message(
    State(shared): State<Arc<Shared>>,
    Path((chat, message)): Path<(String, String)>,
) -> Response {
    let state = shared.store.lock();
    let ids = chat.parse::<u64>().ok().zip(message.parse::<u64>().ok());
    match ids.filter(|(chat_id, id)| state.message(*chat_id, *id).is_some()) {
        Some((chat_id, id)) => ok(message_json(&state, chat_id, id)),
        None => missing("message", &message),
    }
}

async fn chat_feedback(
    State(shared): State<Arc<Shared>>,
    Path(chat): Path<String>,
    body: Bytes,
) -> Response {
    let mut state = shared.store.lock();
    let Some(chat_id) = chat.parse().ok().filter(|id| state.chat(*id).is_some()) else {
        return missing("chat", &chat);
    };
    let feedback = match read(&body, |body| validate::single_text(body, "feedback")) {
        Ok(feedback) => feedback,
        Err(rejection) => return rejection.into_response(),
    };

    if let Some(entry) = state.chat_mut(chat_id) {
        entry.feedback = Some(feedback);
    }
    match state.chat(chat_id) {
        Some(entry) => created(chat_json(&state, chat_id, entry)),
        None => missing("chat", &chat),
    }
}

async fn message_feedback(
    State(shared): State<Arc<Shared>>,
    Path((chat, message)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut state = shared.store.lock();
    let ids = chat.parse::<u64>().ok().zip(message.parse::<u64>().ok());
    let Some((chat_id, id)) = ids.filter(|(chat_id, id)| state.message(*chat_id, *id).is_some())
    else {
        return missing("message", &message);
    };
    let feedback = match read(&body, |body| validate::single_text(body, "feedback")) {
        Ok(feedback) => feedback,
        Err(rejection) => return rejection.into_response(),
    };

    if let Some(entry) = state.message_mut(chat_id, id) {
        entry.feedback = Some(feedback);
    }
    created(message_json(&state, chat_id, id))
}

fn chat_json(state: &StoreState, id: u64, chat: &ChatEntry) -> Value {
    let messages: Vec<Value> = chat
        .messages
        .iter()
        .map(|&message| message_json(state, id, message))
        .collect();
    json!({
        "id": id.to_string(),
        "name": chat.name,
        "tenant": chat.tenant,
        "user": null,
        "feedback": chat.feedback,
        "created_at": iso8601(chat.created),
        "messages": messages,
    })
}

fn message_json(state: &StoreState, chat_id: u64, id: u64) -> Value {
    match state.message(chat_id, id) {
        Some(message) => message_fields(chat_id, id, message),
        None => Value::Null,
    }
}

fn message_fields(chat_id: u64, id: u64, message: &MessageEntry) -> Value {
    json!({
        "id": id.to_string(),
        "chat_id": chat_id.to_string(),
        "role": message.role.as_str(),
        "user": null,
        "text": message.text,
        "text_html": format!("<p>{}</p>", escape_html(&message.text)),
        "identifier": message.identifier,
        "feedback": message.feedback,
        "created_at": iso8601(message.created),
    })
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#039;"),
            c => escaped.push(c),
        }
    }
    escaped
}

// --- pagination --------------------------------------------------------------

/// The default page size of list endpoints, Laravel's.
const DEFAULT_PER_PAGE: usize = 15;
/// The largest page the emulator serves.
const MAX_PER_PAGE: usize = 100;

/// `?page=` and `?per_page=` of a list request. A missing or unreadable
/// page is the first; `per_page` is clamped to `1..=100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PageRequest {
    page: usize,
    per_page: usize,
    per_page_asked: bool,
}

impl PageRequest {
    fn from_query(query: Option<&str>) -> Self {
        let mut request = Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            per_page_asked: false,
        };
        for pair in query.unwrap_or_default().split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "page" => request.page = value.parse().unwrap_or(1).max(1),
                "per_page" => {
                    if let Ok(per_page) = value.parse::<usize>() {
                        request.per_page = per_page.clamp(1, MAX_PER_PAGE);
                        request.per_page_asked = true;
                    }
                }
                _ => {}
            }
        }
        request
    }

    fn offset(&self) -> usize {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// The Laravel paginator's envelope around one page of `data`.
    fn body(&self, data: Vec<Value>, total: usize, url: &str) -> Value {
        let last_page = total.div_ceil(self.per_page).max(1);
        let link = |page: usize| {
            if self.per_page_asked {
                format!("{url}?page={page}&per_page={}", self.per_page)
            } else {
                format!("{url}?page={page}")
            }
        };
        let (from, to) = if data.is_empty() {
            (Value::Null, Value::Null)
        } else {
            (json!(self.offset() + 1), json!(self.offset() + data.len()))
        };
        json!({
            "data": data,
            "links": {
                "first": link(1),
                "last": link(last_page),
                "prev": (self.page > 1).then(|| link(self.page - 1)),
                "next": (self.page < last_page).then(|| link(self.page + 1)),
            },
            "meta": {
                "current_page": self.page,
                "from": from,
                "last_page": last_page,
                "path": url,
                "per_page": self.per_page,
                "to": to,
                "total": total,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_request_reads_and_clamps_its_parameters() {
        let asked = PageRequest::from_query(Some("page=3&per_page=500&x=1"));
        assert_eq!(
            (asked.page, asked.per_page, asked.per_page_asked),
            (3, 100, true)
        );
        let garbage = PageRequest::from_query(Some("page=-1&per_page=abc"));
        assert_eq!((garbage.page, garbage.per_page), (1, DEFAULT_PER_PAGE));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape_html("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#039;"
        );
    }
}
