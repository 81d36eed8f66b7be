//! Items the API refuses, and items that cannot be sent: the run goes on,
//! and the error names exactly the items not accepted.

use std::borrow::Cow;

use serde::Serializer;
use vectorify_core::{Client, Collection, Error, Vectorify};

use crate::support::{self, Day, KEY, invoices};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_422_fails_only_the_invalid_items_and_all_others_land() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let mut invoices = invoices(900);
    for index in [4, 95, 96, 700] {
        invoices[index].due_date = Day("someday".into());
    }

    let error = client.upsert_all(&invoices).await.err();
    let error = error.unwrap_or_else(|| panic!("invalid items must fail"));

    assert_eq!(error.failed_ids(), ["5", "96", "97", "701"]);
    let message = error.to_string();
    assert!(
        message.starts_with("4 of 900 items of collection \"invoices\" were not accepted"),
        "{message}"
    );
    assert!(message.contains("item \"5\""), "{message}");
    assert!(
        message.contains("must be a valid ISO 8601 date"),
        "{message}"
    );

    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    assert_eq!(upsert.report().items, 896);
    for failure in upsert.failures() {
        let Error::Api(api) = failure.error() else {
            panic!("expected the API's answer, got {:?}", failure.error());
        };
        assert_eq!(api.status, 422);
        assert_eq!(
            api.errors.len(),
            1,
            "only the item's own field errors: {api:?}"
        );
    }

    let accepted: Vec<_> = invoices
        .iter()
        .filter(|invoice| invoice.due_date.0 != "someday")
        .collect();
    support::assert_stored_exactly(&emulator, &accepted);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_request_refused_as_a_whole_stops_the_run_and_every_item_is_named() {
    let emulator = support::start(support::emulator()).await;
    let client = support::build(
        Client::builder()
            .api_key(format!("{KEY}-revoked"))
            .base_url(emulator.base_url())
            .max_in_flight(2),
    );
    let invoices = invoices(2_000);

    let error = client.upsert_all(&invoices).await.err();
    let error = error.unwrap_or_else(|| panic!("a wrong key must fail"));

    let every_id: Vec<String> = (1..=2_000).map(|id| id.to_string()).collect();
    assert_eq!(error.failed_ids(), every_id);
    assert!(
        emulator.requests().len() <= 2,
        "no batch is sent after the API refused the key"
    );
    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    assert!(
        upsert
            .failures()
            .iter()
            .all(|failure| failure.error().status() == Some(401))
    );
    assert!(
        upsert
            .failures()
            .iter()
            .any(|failure| failure.attempts() == 0)
    );
    assert!(error.to_string().contains("Unauthenticated."), "{error}");
    emulator.shutdown().await;
}

/// A record whose data fails to serialize when `broken` is set.
struct Fragile {
    id: String,
    broken: bool,
}

impl Vectorify for Fragile {
    const SLUG: &'static str = "fragile";

    fn collection() -> Collection {
        Collection::new("fragile")
    }

    fn item_id(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.id)
    }

    fn serialize_data<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap};
        if self.broken {
            return Err(S::Error::custom("the amount is not a number"));
        }
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("id", &self.id)?;
        map.end()
    }
}

#[tokio::test]
async fn items_that_cannot_be_sent_are_named_and_the_rest_land() {
    let emulator = support::start(support::emulator()).await;
    let client = support::client(&emulator);
    let records: Vec<Fragile> = (0..200)
        .map(|n| Fragile {
            id: if n == 50 {
                String::new()
            } else {
                format!("f{n}")
            },
            broken: n == 10 || n == 150,
        })
        .collect();

    let error = client.upsert_all(&records).await.err();
    let error = error.unwrap_or_else(|| panic!("bad items must fail"));

    assert_eq!(error.failed_ids(), ["f10", "", "f150"]);
    let Error::Upsert(upsert) = &error else {
        panic!("expected an upsert error, got {error:?}");
    };
    let causes: Vec<&Error> = upsert
        .failures()
        .iter()
        .map(|failure| failure.error())
        .collect();
    assert!(matches!(causes[0], Error::Serialize { id, .. } if id == "f10"));
    assert!(matches!(causes[1], Error::EmptyId { position: 50, .. }));
    assert!(
        upsert
            .failures()
            .iter()
            .all(|failure| failure.attempts() == 0)
    );
    assert!(
        error.to_string().contains("the amount is not a number"),
        "{error}"
    );

    assert_eq!(upsert.report().items, 197);
    assert_eq!(emulator.items("fragile").len(), 197);
    emulator.shutdown().await;
}
