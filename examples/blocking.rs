//! The blocking client, for a command-line sync job with no async runtime:
//! upsert invoices with a progress line, ask about them, read the history.
//!
//! ```sh
//! cargo run -p vectorify-core --features blocking --example blocking
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), this
//! talks to the real Vectorify API. Without it, to a local emulator; the
//! emulator is a server and runs on a Tokio runtime of its own here, but the
//! client needs none.

use std::io::Write;

use vectorify_core::{Question, Vectorify};

mod common;

#[derive(Vectorify)]
#[vectorify(collection = "invoices")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    amount: String,
    #[vectorify(tenant)]
    tenant: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, local) = common::connect_blocking(
        "talking to the Vectorify API",
        "talking to a local emulator",
    )?;

    // Rows as a database cursor would give them, read as batches leave.
    let rows = (1..=1_000u64).map(|id| Invoice {
        id,
        customer_name: format!("Customer {}", id % 37),
        amount: format!("{}.00", id * 3 % 900),
        tenant: 987,
    });
    let report = client
        .upsert_iter(rows)
        .total(1_000)
        .on_progress(|progress| {
            let total = progress.total.unwrap_or_default();
            print!("\rUpserting: {}/{total}", progress.done());
            let _ = std::io::stdout().flush();
        })
        .run()?;
    println!(
        "\nUpserted {} invoices in {} batches.",
        report.items, report.batches
    );

    let question = Question::new("what does Customer 12 owe?")
        .collection::<Invoice>()
        .tenant(987);
    let answer = client.query(&question)?;
    println!("\nQ: {}\nA: {}", question.text(), answer.text);

    let upserts = client.upsert_history().per_page(100).items();
    let count = upserts.filter(Result::is_ok).count();
    println!("\nThe history holds {count} upserts.");

    if let Some(local) = local {
        println!("The emulator holds {} items.", local.emulator.item_count());
    }
    Ok(())
}
