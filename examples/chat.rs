//! A conversation about your data: open a chat with a question, ask a
//! follow-up, give feedback, and list the chats.
//!
//! ```sh
//! cargo run --example chat
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), this
//! talks to the real Vectorify API; without it, to a local emulator started
//! in this process, which answers with a plain keyword match.

mod common;

use common::Status;
use vectorify_core::{Question, Vectorify};

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
    #[vectorify(tenant)]
    tenant: u64,
}

fn invoices() -> Vec<Invoice> {
    let invoice = |id, customer_name: &str, status, amount: &str| Invoice {
        id,
        customer_name: customer_name.to_owned(),
        status,
        amount: amount.to_owned(),
        tenant: 987,
    };
    vec![
        invoice(123, "John Doe", Status::Draft, "100"),
        invoice(124, "Jane Roe", Status::Sent, "250"),
        invoice(125, "Acme Corp", Status::Paid, "1200"),
    ]
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = common::connect(
        "talking to the Vectorify API",
        "talking to a local emulator",
    )
    .await?;
    client.upsert_all(&invoices()).await?;

    // A chat opens with its first question and answer.
    let question = Question::new("which invoices are in draft status?")
        .collection::<Invoice>()
        .tenant(987);
    let chat = client.create_chat(&question).await?;
    println!(
        "\nChat {} ({:?})",
        chat.id,
        chat.name.as_deref().unwrap_or("")
    );
    for message in &chat.messages {
        let role = message.role.as_ref().map_or("?", |role| role.as_str());
        println!("  {role}: {}", message.text);
    }

    // A follow-up in the same chat, and feedback on its answer and the chat.
    let follow_up = client
        .send_message(&chat.id, "and which ones are paid?")
        .await?;
    println!(
        "  user: and which ones are paid?\n  assistant: {}",
        follow_up.text
    );
    client
        .message_feedback(&chat.id, &follow_up.id, "helpful")
        .await?;
    let chat = client
        .chat_feedback(&chat.id, "answered my question")
        .await?;
    println!("Feedback on the chat: {:?}", chat.feedback);

    // Every chat, newest first, page after page.
    println!("\nThe project's chats:");
    let mut chats = client.chats().items();
    while let Some(chat) = chats.next().await {
        let chat = chat?;
        let messages = chat.messages.len();
        println!("  {} {:?}: {messages} messages", chat.id, chat.name);
    }

    common::shutdown(emulator).await;
    Ok(())
}
