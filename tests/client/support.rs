//! What the client tests share: the invoice type, an emulator, a client
//! with short retry waits, and the check that items are stored as sent.

use serde::{Serialize, Serializer};
use vectorify_core::{Client, ClientBuilder, MetadataType, MetadataValue, Vectorify};
use vectorify_emulator::{Emulator, EmulatorBuilder, StoredItem};

use crate::common;

pub use crate::common::{Status, ok, quick_retries, start};

pub const KEY: &str = "client-test-key-5f0c9a";

/// A date as text. The collection declares it `datetime`, so a value that
/// is not ISO 8601 makes the API refuse its item: how the tests make
/// invalid items.
#[derive(Clone, Debug, Serialize)]
pub struct Day(pub String);

impl MetadataValue for Day {
    fn metadata_type() -> MetadataType {
        MetadataType::Datetime
    }

    fn serialize_value<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[derive(Clone, Debug, Vectorify)]
#[vectorify(collection = "invoices", url = "https://app.example.com/invoices/{id}")]
pub struct Invoice {
    #[vectorify(id)]
    pub id: u64,
    #[vectorify(metadata)]
    pub customer_name: String,
    #[vectorify(metadata)]
    pub status: Status,
    #[vectorify(metadata)]
    pub due_date: Day,
    pub amount: String,
    pub currency: String,
    pub notes: String,
    #[vectorify(tenant)]
    pub tenant: u64,
}

pub fn invoice(id: u64) -> Invoice {
    let status = match id % 3 {
        0 => Status::Draft,
        1 => Status::Sent,
        _ => Status::Paid,
    };
    Invoice {
        id,
        customer_name: format!("Customer {}", id % 97),
        status,
        due_date: Day(format!("2024-{:02}-{:02}", id % 12 + 1, id % 28 + 1)),
        amount: format!("{}.{:02}", id * 7 % 5000, id % 100),
        currency: "USD".into(),
        notes: format!("Invoice {id}: \"quoted\", unicode é ✓, newline\n."),
        tenant: 900 + id % 5,
    }
}

pub fn invoices(count: u64) -> Vec<Invoice> {
    (1..=count).map(invoice).collect()
}

/// An emulator with the test key and no processing delay.
pub fn emulator() -> EmulatorBuilder {
    common::emulator(KEY)
}

pub fn builder(emulator: &Emulator) -> ClientBuilder {
    Client::builder()
        .api_key(emulator.api_key())
        .base_url(emulator.base_url())
        .retry_policy(quick_retries())
}

pub fn client(emulator: &Emulator) -> Client {
    build(builder(emulator))
}

pub fn build(builder: ClientBuilder) -> Client {
    match builder.build() {
        Ok(client) => client,
        Err(error) => panic!("the client did not build: {error}"),
    }
}

/// The item as the client sends it, in the shape the emulator stores.
pub fn as_sent(invoice: &Invoice) -> serde_json::Value {
    match serde_json::to_value(invoice.to_item()) {
        Ok(value) => value,
        Err(error) => panic!("invoice {} did not serialize: {error}", invoice.id),
    }
}

pub fn as_stored(item: &StoredItem) -> serde_json::Value {
    let mut value = serde_json::json!({
        "id": item.id,
        "data": item.data,
        "metadata": item.metadata,
    });
    if let Some(tenant) = item.tenant {
        value["tenant"] = tenant.into();
    }
    if let Some(url) = &item.url {
        value["url"] = url.as_str().into();
    }
    value
}

/// Every invoice is stored exactly as sent, and nothing else is stored.
pub fn assert_stored_exactly(emulator: &Emulator, invoices: &[&Invoice]) {
    let stored = emulator.items("invoices");
    assert_eq!(stored.len(), invoices.len(), "stored items");
    for invoice in invoices {
        let tenant = i64::try_from(invoice.tenant).ok();
        let id = invoice.id.to_string();
        let Some(item) = emulator.item("invoices", tenant, &id) else {
            panic!("invoice {id} was not stored");
        };
        assert_eq!(as_stored(&item), as_sent(invoice), "invoice {id}");
    }
}

pub fn all(invoices: &[Invoice]) -> Vec<&Invoice> {
    invoices.iter().collect()
}
