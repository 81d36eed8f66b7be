//! The history of upserts: what the API received, page after page, and
//! waiting until a fresh upsert has been processed.
//!
//! ```sh
//! cargo run --example history
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), this
//! reads the real Vectorify API's history; without it, that of a local
//! emulator started in this process.

use std::time::Duration;

use vectorify_core::{Client, Vectorify};
use vectorify_emulator::Emulator;

#[derive(Vectorify)]
#[vectorify(collection = "invoices")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    amount: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let has_key = std::env::var("VECTORIFY_API_KEY").is_ok_and(|key| !key.trim().is_empty());
    let (client, emulator) = if has_key {
        println!("VECTORIFY_API_KEY is set: reading the Vectorify API's history.");
        (Client::from_env()?, None)
    } else {
        let emulator = Emulator::start().await?;
        println!(
            "VECTORIFY_API_KEY is not set: reading a local emulator's history at {}.",
            emulator.base_url()
        );
        let client = Client::builder()
            .api_key(emulator.api_key())
            .base_url(emulator.base_url())
            .build()?;
        (client, Some(emulator))
    };

    // One upsert of one invoice, then one of 200 in three batches.
    let receipt = Invoice {
        id: 1,
        customer_name: "John Doe".into(),
        amount: "100".into(),
    }
    .upsert(&client)
    .await?;
    println!("\nThe first upsert: {:?}", receipt.result);
    let invoices: Vec<Invoice> = (2..=201)
        .map(|id| Invoice {
            id,
            customer_name: format!("Customer {}", id % 13),
            amount: format!("{}.00", id * 7),
        })
        .collect();
    client.upsert_all(&invoices).await?;

    // Every upsert, newest first, five to a page.
    println!("\nThe history:");
    let mut upserts = client.upsert_history().per_page(5).items();
    let mut newest = None;
    while let Some(upsert) = upserts.next().await {
        let upsert = upsert?;
        println!(
            "  upsert {}: collection {}, {} item(s), {}",
            upsert.id,
            upsert.collection.as_deref().unwrap_or("?"),
            upsert.chunk_size.unwrap_or(0),
            upsert.status.as_ref().map_or("?", |status| status.as_str()),
        );
        newest.get_or_insert(upsert.id);
    }

    // Processing is asynchronous: wait until the newest one is done.
    if let Some(id) = newest {
        for _ in 0..60 {
            let upsert = client.fetch_upsert(&id).await?;
            if let Some(status) = upsert.status.filter(|status| status.is_finished()) {
                let at = upsert.completed_at.as_deref().unwrap_or("an unknown time");
                println!("\nUpsert {id} is {status}, at {at}.");
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    if let Some(emulator) = emulator {
        emulator.shutdown().await;
    }
    Ok(())
}
