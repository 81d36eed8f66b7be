//! Upsert receipts and the history of upserts over HTTP: every page
//! followed, one upsert fetched, statuses as the API reports them.

use std::collections::HashSet;
use std::time::Duration;

use futures_util::TryStreamExt;
use vectorify_core::api::UpsertId;
use vectorify_core::{Error, UpsertStatus, Vectorify};
use vectorify_emulator::Faults;

use crate::support::{self, invoices, ok};

/// An emulator that received `count` upserts of one invoice each.
async fn with_upserts(
    builder: vectorify_emulator::EmulatorBuilder,
    count: usize,
) -> (vectorify_emulator::Emulator, vectorify_core::Client) {
    let emulator = support::start(builder).await;
    let client = support::client(&emulator);
    let invoices = invoices();
    for number in 0..count {
        ok(invoices[number % invoices.len()].upsert(&client).await);
    }
    emulator.clear_requests();
    (emulator, client)
}

#[tokio::test]
async fn an_upsert_returns_the_api_receipt() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    let receipt = ok(invoices()[0].upsert(&client).await);
    assert_eq!(receipt.result, Some(UpsertStatus::Queued));
    let created_at = receipt.created_at.unwrap_or_default();
    assert!(created_at.starts_with("20"), "{created_at}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_history_is_followed_across_every_page_newest_first() {
    let (emulator, client) = with_upserts(support::emulator(), 7).await;

    let upserts: Vec<_> = ok(client
        .upsert_history()
        .per_page(3)
        .items()
        .try_collect()
        .await);

    let ids: Vec<&str> = upserts.iter().map(|upsert| upsert.id.as_str()).collect();
    assert_eq!(ids, ["7", "6", "5", "4", "3", "2", "1"]);
    for upsert in &upserts {
        assert_eq!(upsert.collection.as_deref(), Some("invoices"));
        assert_eq!(upsert.chunk_size, Some(1));
        assert!(upsert.created_at.is_some());
    }

    let asked: Vec<(String, Option<String>)> = emulator
        .requests()
        .into_iter()
        .map(|request| (request.path, request.query))
        .collect();
    let page = |n: u32| {
        (
            "/v1/upserts".to_owned(),
            Some(format!("page={n}&per_page=3")),
        )
    };
    assert_eq!(asked, [page(1), page(2), page(3)]);
    emulator.shutdown().await;
}

#[tokio::test]
async fn pages_carry_where_they_sit() {
    let (emulator, client) = with_upserts(support::emulator(), 5).await;

    let pages: Vec<_> = ok(client
        .upsert_history()
        .per_page(2)
        .pages()
        .try_collect()
        .await);

    let sizes: Vec<usize> = pages.iter().map(|page| page.data.len()).collect();
    assert_eq!(sizes, [2, 2, 1]);
    let numbers: Vec<Option<u64>> = pages.iter().map(|page| page.meta.current_page).collect();
    assert_eq!(numbers, [Some(1), Some(2), Some(3)]);
    assert!(pages.iter().all(|page| page.meta.total == Some(5)));
    assert!(pages[2].links.next.is_none());
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_list_can_start_at_a_later_page_and_past_the_end_is_empty() {
    let (emulator, client) = with_upserts(support::emulator(), 5).await;

    let later: Vec<_> = ok(client
        .upsert_history()
        .per_page(2)
        .from_page(2)
        .items()
        .try_collect()
        .await);
    let ids: Vec<&str> = later.iter().map(|upsert| upsert.id.as_str()).collect();
    assert_eq!(ids, ["3", "2", "1"]);

    let past = ok(client.upsert_history().per_page(2).page(9).await);
    assert!(past.data.is_empty() && !past.has_next());
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_empty_history_is_one_empty_page() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);

    let upserts: Vec<_> = ok(client.upsert_history().items().try_collect().await);
    assert!(upserts.is_empty());
    assert_eq!(emulator.requests().len(), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn one_upsert_is_fetched_with_its_status() {
    let (emulator, client) = with_upserts(support::emulator(), 2).await;
    let done = ok(client.fetch_upsert(2).await);
    assert_eq!(done.id, UpsertId::from("2"));
    assert_eq!(done.status, Some(UpsertStatus::Completed));
    assert!(done.completed_at.is_some());
    emulator.shutdown().await;

    let slow = support::emulator().processing_time(Duration::from_secs(3600));
    let (emulator, client) = with_upserts(slow, 1).await;
    let queued = ok(client.fetch_upsert(UpsertId::from(1)).await);
    assert_eq!(queued.status, Some(UpsertStatus::Queued));
    assert!(queued.completed_at.is_none());
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_unknown_upsert_is_a_404() {
    let (emulator, client) = with_upserts(support::emulator(), 1).await;
    let error = client.fetch_upsert(99).await.err();
    assert_eq!(
        error.as_ref().and_then(Error::status),
        Some(404),
        "{error:?}"
    );
    assert_eq!(emulator.requests().len(), 1, "a 404 is not sent again");
    emulator.shutdown().await;
}

#[tokio::test]
async fn reading_the_history_survives_faults() {
    let (emulator, client) = with_upserts(support::emulator(), 12).await;
    emulator.set_faults(
        Faults::none()
            .seed(11)
            .server_errors(0.2)
            .dropped_connections(0.1)
            .lost_responses(0.1),
    );

    let upserts: Vec<_> = ok(client
        .upsert_history()
        .per_page(2)
        .items()
        .try_collect()
        .await);

    let ids: HashSet<String> = upserts.into_iter().map(|u| u.id.into_string()).collect();
    assert_eq!(ids.len(), 12);
    let faults = emulator
        .requests()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert!(faults > 0, "the seed meets some faults");
    emulator.shutdown().await;
}
