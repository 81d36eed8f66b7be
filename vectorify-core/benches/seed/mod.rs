//! The record every benchmark sends: the invoice of the API reference's
//! upsert example, `#[derive(Vectorify)]` as the README shows it.

use serde::Serialize;
use vectorify_core::Vectorify;

// The schema declares every status; the benchmarks send only `Draft`, as the
// seed does.
#[allow(dead_code)]
#[derive(Clone, Copy, Serialize, Vectorify)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Sent,
    Paid,
}

#[derive(Vectorify)]
#[vectorify(collection = "invoices")]
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
    #[vectorify(url)]
    pub url: String,
}

/// The seed invoice with its own id (the seed's is 123) and the url that
/// goes with it; every other field as in the seed.
pub fn invoice(id: u64) -> Invoice {
    Invoice {
        id,
        customer_name: "John Doe".into(),
        status: Status::Draft,
        amount: "100".into(),
        currency: "USD".into(),
        due_date: "2023-10-01".into(),
        tenant: 987,
        url: format!("https://app.example.com/invoices/{id}"),
    }
}
