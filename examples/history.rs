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

use vectorify_core::Vectorify;

mod common;

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
    let (client, emulator) = common::connect(
        "reading the Vectorify API's history",
        "reading a local emulator's history",
    )
    .await?;

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

    common::shutdown(emulator).await;
    Ok(())
}
