//! The first five minutes: describe invoices with `#[derive(Vectorify)]` and
//! upsert them.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), the
//! invoices go to the real Vectorify API. Without it, to a local emulator
//! started in this process, so the example runs with no account and no
//! network.

use serde::Serialize;
use vectorify_core::Vectorify;

mod common;

#[derive(Clone, Copy, Serialize, Vectorify)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Sent,
    Paid,
}

#[derive(Vectorify)]
#[vectorify(collection = "invoices")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    #[vectorify(metadata)]
    status: Status,
    amount: String,
    currency: String,
    due_date: String,
    #[vectorify(tenant)]
    tenant: u64,
    #[vectorify(url)]
    url: String,
}

impl Invoice {
    fn new(id: u64, customer_name: &str, status: Status, amount: &str, due_date: &str) -> Self {
        Invoice {
            id,
            customer_name: customer_name.to_owned(),
            status,
            amount: amount.to_owned(),
            currency: "USD".to_owned(),
            due_date: due_date.to_owned(),
            tenant: 987,
            url: format!("https://app.example.com/invoices/{id}"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The API reference's example invoice first, then a few more like it.
    let invoices = vec![
        Invoice::new(123, "John Doe", Status::Draft, "100", "2023-10-01"),
        Invoice::new(124, "Jane Roe", Status::Sent, "250", "2023-10-15"),
        Invoice::new(125, "Acme Corp", Status::Paid, "1200", "2023-09-30"),
        Invoice::new(126, "John Doe", Status::Paid, "75", "2023-11-01"),
    ];

    let (client, emulator) = common::connect(
        "sending to the Vectorify API",
        "sending to a local emulator",
    )
    .await?;

    println!(
        "\nThe collection's schema:\n  {}",
        serde_json::to_string(&Invoice::collection())?
    );

    let receipt = invoices[0].upsert(&client).await?;
    println!(
        "\nUpsert of invoice {}: the API answered {}, at {}.",
        invoices[0].id,
        receipt
            .result
            .as_ref()
            .map_or("no result", |result| result.as_str()),
        receipt.created_at.as_deref().unwrap_or("no time given"),
    );

    let report = client.upsert_all(&invoices).await?;
    println!("\nUpsert of all {} invoices: {report:?}", invoices.len());

    if let Some(emulator) = emulator {
        println!("\nThe emulator now holds:");
        for item in emulator.items(Invoice::SLUG) {
            println!("  {}", serde_json::to_string(&item)?);
        }
        emulator.shutdown().await;
    }
    Ok(())
}
