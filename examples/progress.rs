//! A progress bar for a bulk upsert: `on_progress` events drive an
//! indicatif bar while thousands of invoices go to a local emulator that
//! injects faults and enforces a rate limit, so the bar shows retries and
//! pacing as well as progress.
//!
//! ```sh
//! cargo run -p vectorify-core --example progress
//! ```
//!
//! With `VECTORIFY_API_KEY` set (and `VECTORIFY_BASE_URL` if needed), the
//! invoices go to that API instead.

mod common;

use std::time::Duration;

use common::Status;
use indicatif::{ProgressBar, ProgressStyle};
use vectorify_core::{ProgressEvent, Vectorify};
use vectorify_emulator::{Emulator, Faults, RateLimit};

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
    currency: String,
    #[vectorify(tenant)]
    tenant: u64,
}

const INVOICES: u64 = 20_000;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let invoices: Vec<Invoice> = (1..=INVOICES)
        .map(|id| Invoice {
            id,
            customer_name: format!("Customer {}", id % 250),
            status: [Status::Draft, Status::Sent, Status::Paid][(id % 3) as usize],
            amount: format!("{}.00", id % 900 + 100),
            currency: "USD".into(),
            tenant: 987,
        })
        .collect();

    let (client, emulator) = if common::has_key() {
        (vectorify_core::Client::from_env()?, None)
    } else {
        // A flaky, rate-limited stand-in: some 5xx, dropped connections and
        // lost responses, a little latency, and 150 requests a second.
        let faults = Faults::none()
            .seed(42)
            .server_errors(0.03)
            .dropped_connections(0.02)
            .lost_responses(0.02)
            .latency(Duration::from_millis(15))
            .latency_jitter(Duration::from_millis(10));
        let emulator = Emulator::builder()
            .faults(faults)
            .rate_limit(RateLimit::per_second(150))
            .start()
            .await?;
        (common::client_of(&emulator)?, Some(emulator))
    };

    let bar = ProgressBar::new(INVOICES);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} items ({per_sec}) {msg}",
        )?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));

    let shown = bar.clone();
    let result = client
        .upsert_all(&invoices)
        .on_progress(move |progress| {
            shown.set_position(progress.done());
            match progress.event {
                ProgressEvent::Retrying { attempt, wait, .. } => shown.set_message(format!(
                    "{} retries (last: attempt {attempt} failed, next in {wait:.1?})",
                    progress.retries
                )),
                ProgressEvent::Paced { wait } => {
                    shown.set_message(format!("pacing for the rate limit ({wait:.1?})"));
                }
                ProgressEvent::Failed { items } => {
                    shown.println(format!("{items} items not accepted"));
                }
                _ => {}
            }
        })
        .await;
    bar.finish_with_message("done");

    match result {
        Ok(report) => println!(
            "{} items in {} batches: {} requests, {} retries, {:.1?}",
            report.items, report.batches, report.requests, report.retries, report.elapsed
        ),
        Err(error) => {
            eprintln!("{error}");
            eprintln!("not accepted: {:?}", error.failed_ids());
        }
    }

    if let Some(emulator) = emulator {
        println!("the emulator holds {} items", emulator.item_count());
        emulator.shutdown().await;
    }
    Ok(())
}
