//! Ask a question about your data: upsert the invoices, then ask which are
//! still in draft, for one tenant, on behalf of one of your users.
//!
//! ```sh
//! cargo run --example ask
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), the
//! invoices go to the real Vectorify API and its language model answers
//! (give it a moment to process a fresh upsert). Without it, a local
//! emulator started in this process answers with a plain keyword match.

mod common;

use common::Status;
use vectorify_core::{Identifier, Question, Vectorify};

#[derive(Vectorify)]
#[vectorify(collection = "invoices", url = "https://app.example.com/invoices/{id}")]
struct Invoice {
    #[vectorify(id)]
    id: u64,
    #[vectorify(metadata)]
    customer_name: String,
    #[vectorify(metadata)]
    status: Status,
    amount: String,
    due_date: String,
    #[vectorify(tenant)]
    tenant: u64,
}

fn invoices() -> Vec<Invoice> {
    let invoice = |id, customer_name: &str, status, amount: &str, due_date: &str| Invoice {
        id,
        customer_name: customer_name.to_owned(),
        status,
        amount: amount.to_owned(),
        due_date: due_date.to_owned(),
        tenant: 987,
    };
    vec![
        invoice(123, "John Doe", Status::Draft, "100", "2023-10-01"),
        invoice(124, "Jane Roe", Status::Sent, "250", "2023-10-15"),
        invoice(125, "Acme Corp", Status::Paid, "1200", "2023-09-30"),
        invoice(126, "John Doe", Status::Draft, "75", "2023-11-01"),
    ]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) =
        common::connect("asking the Vectorify API", "asking a local emulator").await?;

    let report = client.upsert_all(&invoices()).await?;
    println!("Upserted {} invoices.\n", report.items);

    let question = Question::new("which invoices are still in draft?")
        .collection::<Invoice>()
        .tenant(987)
        .identifier(Identifier::new().id(42).name("Jane Admin"));
    let answer = client.query(&question).await?;

    println!("Q: {}", question.text());
    println!("A: {}", answer.text);
    if let Some(chat) = &answer.chat_id {
        println!("\nThe answer is kept in chat {chat}; `cargo run --example chat` continues one.");
    }

    common::shutdown(emulator).await;
    Ok(())
}
