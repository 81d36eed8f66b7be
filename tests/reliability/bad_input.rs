//! The catalogue of bad input and odd answers: each gives a clear, typed
//! error (or is survived), and nothing panics.
//!
//! Already pinned elsewhere, and not repeated here: an empty or blank key, a
//! malformed base URL and plain `http` to a remote host
//! (`tests/client/builder.rs`); an empty id (`tests/client/single.rs`,
//! `tests/client/refused.rs`); a batch too large for the API and a lone item
//! too large (`tests/client/bulk.rs`); 5xx answers with JSON or a proxy's
//! HTML page, dropped connections and timeouts (`tests/client/faults.rs`);
//! 401 and 422 (`tests/client/single.rs`, `tests/client/refused.rs`).

use std::time::{Duration, SystemTime};

use vectorify_core::{
    Client, ClientBuilder, Error, RetryPolicy, UpsertError, UpsertReport, Vectorify,
};

use crate::script::{self, Received, Scripted};
use crate::support::{self, Day, KEY, invoices};

#[derive(Debug, Vectorify)]
#[vectorify(collection = "readings")]
struct Reading {
    #[vectorify(id)]
    id: u64,
    value: f64,
    history: Vec<f32>,
    station: String,
}

fn reading(id: u64) -> Reading {
    Reading {
        id,
        value: id as f64 / 4.0,
        history: vec![1.0, 2.5, -0.0, 1e30],
        station: format!("station {}", id % 7),
    }
}

fn upsert_error(result: Result<UpsertReport, Error>) -> Box<UpsertError> {
    match result {
        Err(Error::Upsert(error)) => error,
        Err(other) => panic!("expected an upsert error, got {other:?}"),
        Ok(report) => panic!("expected an upsert error, got {report:?}"),
    }
}

/// A client of a scripted server: one batch at a time, so that the script's
/// order is the batches' order, and quick retries.
fn scripted_client(server: &Scripted) -> ClientBuilder {
    Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .max_in_flight(1)
        .retry_policy(support::quick_retries())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_finite_numbers_fail_their_own_item_by_name_and_path_and_the_rest_land() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let mut readings: Vec<Reading> = (0..300).map(reading).collect();
    readings[10].value = f64::NAN;
    readings[150].value = f64::INFINITY;
    readings[250].history[3] = f32::NEG_INFINITY;

    let error = upsert_error(client.upsert_all(&readings).await);

    assert_eq!(error.failed_ids(), ["10", "150", "250"]);
    let found: Vec<(&str, String, u32)> = error
        .failures()
        .iter()
        .map(|failure| match failure.error() {
            Error::NonFiniteNumber { id, path, .. } => {
                (id.as_str(), path.clone(), failure.attempts())
            }
            other => panic!("expected a non-finite number error, got {other:?}"),
        })
        .collect();
    assert_eq!(
        found,
        [
            ("10", "data.value".to_owned(), 0),
            ("150", "data.value".to_owned(), 0),
            ("250", "data.history.3".to_owned(), 0),
        ]
    );
    let message = error.to_string();
    assert!(message.contains("`data.value` is NaN"), "{message}");
    assert!(
        message.contains("`data.history.3` is -infinity"),
        "{message}"
    );

    // Nothing was stored as `null` in their place.
    let stored = emulator.items("readings");
    assert_eq!(stored.len(), 297);
    assert!(
        stored
            .iter()
            .all(|item| item.data["value"].is_number() && item.data["history"][3].is_number())
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_non_finite_number_in_a_single_upsert_is_a_typed_error_and_nothing_is_sent() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let mut broken = reading(7);
    broken.value = f64::NEG_INFINITY;

    let error = broken.upsert(&client).await.err();

    match &error {
        Some(Error::NonFiniteNumber {
            collection,
            id,
            path,
            value,
        }) => {
            assert_eq!(
                (*collection, id.as_str(), path.as_str()),
                ("readings", "7", "data.value")
            );
            assert_eq!(*value, f64::NEG_INFINITY);
        }
        other => panic!("expected a non-finite number error, got {other:?}"),
    }
    assert_eq!(
        error.map(|error| error.failed_ids().join(",")),
        Some("7".into())
    );
    assert!(emulator.requests().is_empty());
    emulator.shutdown().await;
}

#[derive(Debug, Vectorify)]
#[vectorify(collection = "notes")]
struct Note {
    #[vectorify(id)]
    id: String,
    text: String,
}

#[tokio::test]
async fn a_blank_id_is_refused_by_the_api_for_that_item_alone() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let notes: Vec<Note> = (0..120)
        .map(|n| Note {
            id: if n == 33 {
                "   ".into()
            } else {
                format!("n{n}")
            },
            text: "text".into(),
        })
        .collect();

    let error = upsert_error(client.upsert_all(&notes).await);

    assert_eq!(error.failed_ids(), ["   "]);
    let failure = &error.failures()[0];
    assert_eq!(failure.error().status(), Some(422));
    assert!(failure.error().to_string().contains("id field is required"));
    assert_eq!(emulator.items("notes").len(), 119);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_single_item_larger_than_the_api_accepts_is_item_too_large() {
    let emulator = support::start(support::emulator().max_body_bytes(4 * 1024)).await;
    let client = support::client(&emulator);
    let mut invoice = support::invoice(5);
    invoice.notes = "x".repeat(8 * 1024);

    let error = invoice.upsert(&client).await.err();

    match &error {
        Some(Error::ItemTooLarge { id, bytes, .. }) => {
            assert_eq!(id, "5");
            assert!(*bytes > 8 * 1024, "{bytes}");
        }
        other => panic!("expected an item too large error, got {other:?}"),
    }
    let statuses: Vec<Option<u16>> = emulator.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(413)], "a 413 is not retried as such");
    emulator.shutdown().await;
}

const NGINX_413: &str = "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn a_proxy_s_413_page_splits_the_batch_as_the_api_s_own_413_does() {
    let server = Scripted::start(vec![script::reply(
        413,
        &[("Content-Type", "text/html")],
        NGINX_413,
    )])
    .await;
    let client = support::build(scripted_client(&server));
    let invoices = invoices(90);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!((report.items, report.splits), (90, 1));
    let sizes: Vec<usize> = server.received().iter().map(|r| r.items()).collect();
    assert_eq!(sizes, [90, 45, 45]);
}

const NGINX_404: &str = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn answers_that_refuse_the_request_as_such_stop_the_run_and_name_every_item() {
    let cases = [
        (
            script::json(403, r#"{"message":"This action is unauthorized."}"#),
            403,
            "This action is unauthorized.",
        ),
        (
            script::reply(404, &[("Content-Type", "text/html")], NGINX_404),
            404,
            "<title>404 Not Found</title>",
        ),
        (
            script::json(
                422,
                r#"{"message":"The collection.slug field format is invalid.","errors":{"collection.slug":["The collection.slug field format is invalid."]}}"#,
            ),
            422,
            "The collection.slug field format is invalid.",
        ),
        (
            script::json(409, r#"{"unexpected":true}"#),
            409,
            r#"{"unexpected":true}"#,
        ),
        (script::reply(400, &[], ""), 400, "400 Bad Request"),
    ];
    for (reply, status, shown) in cases {
        let server = Scripted::start(vec![reply]).await;
        let client = support::build(scripted_client(&server));
        let invoices = invoices(200);

        let error = upsert_error(client.upsert_all(&invoices).await);

        let every_id: Vec<String> = (1..=200).map(|id| id.to_string()).collect();
        assert_eq!(error.failed_ids(), every_id, "{status}");
        assert_eq!(
            server.received().len(),
            1,
            "{status}: not retried, no other batch sent"
        );
        assert!(
            error
                .failures()
                .iter()
                .all(|failure| failure.error().status() == Some(status)),
            "{status}: {error}"
        );
        assert!(error.to_string().contains(shown), "{status}: {error}");
    }
}

#[tokio::test]
async fn a_404_from_a_wrong_base_url_is_not_retried() {
    let emulator = support::start(support::emulator()).await;
    let base_url = emulator.base_url().replace("/v1/", "/v2/");
    let client = support::build(support::builder(&emulator).base_url(base_url));
    let invoices = invoices(500);

    let error = upsert_error(client.upsert_all(&invoices).await);

    assert_eq!(error.failed_count(), 500);
    assert!(
        error
            .to_string()
            .contains("The route v2/upserts could not be found."),
        "{error}"
    );
    let requests = emulator.requests();
    assert!(requests.iter().all(|r| r.status == Some(404)));
    assert!(requests.len() <= 8, "at most the batches already in flight");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_error_body_whose_errors_are_an_empty_list_keeps_its_message() {
    // PHP encodes an empty map as `[]`.
    let server = Scripted::start(vec![script::json(
        422,
        r#"{"message":"The given data was invalid.","errors":[]}"#,
    )])
    .await;
    let client = support::build(scripted_client(&server));

    let error = upsert_error(client.upsert_all(&invoices(3)).await);

    let Error::Api(api) = error.failures()[0].error() else {
        panic!("expected the API's answer, got {error:?}");
    };
    assert_eq!(api.message.as_deref(), Some("The given data was invalid."));
    assert!(api.errors.is_empty());
}

#[tokio::test]
async fn field_errors_that_are_not_all_strings_still_name_their_items() {
    let server = Scripted::start(vec![script::json(
        422,
        r#"{"message":"Invalid.","errors":{"items.1.id":["The items.1.id field is required.",7,null],"items.2.url":"The items.2.url field must be a string.","collection":{"odd":true}}}"#,
    )])
    .await;
    let client = support::build(scripted_client(&server));

    let error = upsert_error(client.upsert_all(&invoices(4)).await);

    assert_eq!(error.failed_ids(), ["2", "3"]);
    assert_eq!(
        error.report().items,
        2,
        "the other two were sent again and accepted"
    );
    let Error::Api(first) = error.failures()[0].error() else {
        panic!("expected the API's answer, got {error:?}");
    };
    assert_eq!(
        first.errors.get("items.1.id").map(Vec::as_slice),
        Some(
            &[
                "The items.1.id field is required.".to_owned(),
                "7".to_owned()
            ][..]
        )
    );
}

#[derive(Clone, Debug, Vectorify)]
#[vectorify(collection = "bookings")]
struct Booking {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    check_in_date: Day,
    #[vectorify(metadata)]
    check_out_date: Day,
    #[vectorify(metadata)]
    booked_on_date: Day,
    guest: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_errors_for_a_whole_batch_name_its_items_however_long_the_answer() {
    let emulator = support::start(support::emulator()).await;
    let client = support::build(support::builder(&emulator).max_in_flight(1));
    // The first batch's 90 items each break three rules: the 422 answer
    // naming them all runs to about 30 KB.
    let bookings: Vec<Booking> = (0..300)
        .map(|id| {
            let date = if id < 90 { "soon" } else { "2024-05-01" };
            Booking {
                id,
                check_in_date: Day(date.into()),
                check_out_date: Day(date.into()),
                booked_on_date: Day(date.into()),
                guest: format!("Guest {id}"),
            }
        })
        .collect();

    let error = upsert_error(client.upsert_all(&bookings).await);

    let invalid: Vec<String> = (0..90).map(|id| id.to_string()).collect();
    assert_eq!(error.failed_ids(), invalid);
    assert!(
        error
            .failures()
            .iter()
            .all(|f| f.error().status() == Some(422))
    );
    assert_eq!(emulator.items("bookings").len(), 210);
    emulator.shutdown().await;
}

#[tokio::test]
async fn truncated_and_garbled_answers_are_retried_as_broken_connections() {
    let server = Scripted::start(vec![
        script::truncated(201, 200, r#"{"data":{"res"#),
        script::truncated(503, 500, r#"{"mess"#),
        b"HELLO\r\n\r\n".to_vec(),
        Vec::new(),
    ])
    .await;
    let client = support::build(scripted_client(&server));
    let invoices = invoices(10);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!((report.items, report.retries, report.requests), (10, 4, 5));
    assert!(server.received().iter().all(|r| r.items() == 10));
}

#[tokio::test]
async fn unexpected_or_missing_fields_in_an_accepted_answer_do_not_matter() {
    let server = Scripted::start(vec![
        script::json(
            201,
            r#"{"data":{"result":"Queued","created_at":null,"extra":[1,2]},"more":true}"#,
        ),
        script::json(201, "{}"),
        script::reply(200, &[], ""),
        script::reply(202, &[("Content-Type", "text/plain")], "OK"),
    ])
    .await;
    let client = support::build(scripted_client(&server).batch_size(10));
    let invoices = invoices(40);

    let report = support::ok(client.upsert_all(&invoices).await);

    assert_eq!((report.items, report.batches, report.retries), (40, 4, 0));
}

#[tokio::test]
async fn a_408_is_retried() {
    let server = Scripted::start(vec![script::json(408, r#"{"message":"Request Timeout"}"#)]).await;
    let client = support::build(scripted_client(&server));

    let report = support::ok(client.upsert_all(&invoices(5)).await);

    assert_eq!((report.items, report.retries), (5, 1));
}

/// Answers one 503 with `Retry-After: value`, then accepts; returns the
/// run's report and the two requests.
async fn after_retry_after(value: &str, policy: RetryPolicy) -> (UpsertReport, Vec<Received>) {
    let server = Scripted::start(vec![script::reply(
        503,
        &[("Content-Type", "application/json"), ("Retry-After", value)],
        r#"{"message":"Service Unavailable"}"#,
    )])
    .await;
    let client = support::build(scripted_client(&server).retry_policy(policy));
    let invoices = invoices(3);

    let run = tokio::time::timeout(Duration::from_secs(60), client.upsert_all(&invoices)).await;
    let report = match run {
        Ok(result) => support::ok(result),
        Err(_) => panic!("Retry-After {value:?}: still waiting after a minute"),
    };

    let received = server.received();
    assert_eq!(received.len(), 2, "Retry-After {value:?}");
    (report, received)
}

#[tokio::test]
async fn a_retry_after_date_is_waited_for() {
    let date = SystemTime::now() + Duration::from_secs(3);
    let header = httpdate::fmt_http_date(date);
    // What the header says: the date less its fraction of a second.
    let named = support::ok(httpdate::parse_http_date(&header));

    let policy = support::quick_retries().max_retry_after(Duration::from_secs(10));
    let (report, received) = after_retry_after(&header, policy).await;

    let early = named
        .duration_since(received[1].wall)
        .unwrap_or(Duration::ZERO);
    assert!(
        early <= Duration::from_millis(20),
        "sent again {early:?} before {header}"
    );
    assert!(report.waited > Duration::ZERO, "{report:?}");
}

#[tokio::test]
async fn a_retry_after_date_in_the_past_means_at_once() {
    let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));

    let (report, _) = after_retry_after(&date, support::quick_retries()).await;

    assert!(report.waited < Duration::from_millis(100), "{report:?}");
}

#[tokio::test]
async fn a_negative_or_unreadable_retry_after_falls_back_to_the_backoff() {
    let policy = RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(10));
    for value in [
        "-5",
        "soon",
        "1e400",
        "NaN",
        "inf",
        "0x10",
        "99999999999999999999999",
    ] {
        let (report, _) = after_retry_after(value, policy.clone()).await;
        assert_eq!(report.retries, 1, "{value}");
        assert!(
            report.waited <= Duration::from_millis(10),
            "{value}: {report:?}"
        );
    }
}

#[tokio::test]
async fn an_absurd_retry_after_is_cut_to_the_retry_policy_s_limit() {
    let policy = support::quick_retries().max_retry_after(Duration::from_millis(200));
    for value in ["99999999999", "3600"] {
        let (report, _) = after_retry_after(value, policy.clone()).await;
        // The retry's wait and the pacer's hold on every request both stop
        // at the limit (a tenth more at most, to spread retries).
        assert!(
            report.waited <= Duration::from_millis(500),
            "{value}: {report:?}"
        );
    }
}
