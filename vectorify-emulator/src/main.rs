//! `vectorify-emulator`: runs the Vectorify API emulator on its own.

use std::net::IpAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use vectorify_emulator::{
    DEFAULT_API_KEY, DEFAULT_MAX_BODY_BYTES, DEFAULT_PROCESSING_TIME, Emulator, EmulatorBuilder,
    Faults, RateLimit, RecordedRequest,
};

const USAGE: &str = "\
vectorify-emulator: a local stand-in for the Vectorify API

Usage: vectorify-emulator [OPTIONS]

Options:
  --host ADDR                  address to listen on [default: 127.0.0.1]
  --port N                     port to listen on, 0 for a free one [default: 8787]
  --api-key KEY                key to accept in the Api-Key header [default: emulator-key]
  --max-body-bytes N           largest request body, 413 past it [default: 1048576]
  --processing-ms N            how long an upsert stays Queued [default: 200]
  --rate-limit N               allow N requests per window (off unless set)
  --rate-window-secs N         length of the rate-limit window [default: 60]
  --seed N                     seed of the fault draws [default: 0]
  --server-errors SHARE        share of requests answered 500/502/503 (0.0 to 1.0)
  --rate-limited SHARE         share of requests answered 429
  --dropped-connections SHARE  share of connections closed before handling
  --lost-responses SHARE       share handled, then closed before the response
  --retry-after-secs N         Retry-After of injected 429s [default: 1]
  --latency-ms N               delay added to every request [default: 0]
  --latency-jitter-ms N        at most this much more, drawn per request [default: 0]
  --quiet                      do not log each request
  -h, --help                   print this help
  -V, --version                print the version

Faults and latency apply to authenticated requests to the API's routes.
Each request is logged on one line: method, path, status, items, duration,
fault. The key is never logged.
";

struct Options {
    builder: EmulatorBuilder,
    quiet: bool,
    default_key: bool,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}\n\nRun with --help for the options.");
            return ExitCode::from(2);
        }
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(options))
}

async fn run(options: Options) -> ExitCode {
    let mut builder = options.builder;
    if !options.quiet {
        builder = builder.on_request(log_line);
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("error: cannot listen: {error}");
            return ExitCode::FAILURE;
        }
    };

    println!("Vectorify emulator listening on {}", emulator.base_url());
    if options.default_key {
        println!("Api-Key: {DEFAULT_API_KEY} (the default; set another with --api-key)");
    } else {
        println!("Api-Key: the one given with --api-key");
    }
    println!("Press Ctrl-C to stop.");

    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {error}");
    }
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

fn log_line(request: &RecordedRequest) {
    let status = request
        .status
        .map_or_else(|| "---".to_owned(), |s| s.to_string());
    let fault = request
        .fault
        .map(|f| format!(" fault={f}"))
        .unwrap_or_default();
    let path = match &request.query {
        Some(query) => format!("{}?{query}", request.path),
        None => request.path.clone(),
    };
    println!(
        "{} {} {path} {status} items={} {:.1}ms{fault}",
        timestamp(),
        request.method,
        request.items,
        request.duration.as_secs_f64() * 1000.0,
    );
}

/// The time of day in UTC, `HH:MM:SS.mmm`.
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        now.subsec_millis()
    )
}

/// Reads the flags; `Ok(None)` when help or the version was printed.
fn parse(args: impl Iterator<Item = String>) -> Result<Option<Options>, String> {
    let mut builder = Emulator::builder().port(8787);
    let mut faults = Faults::none();
    let mut rate_limit: Option<u32> = None;
    let mut rate_window = Duration::from_secs(60);
    let mut quiet = false;
    let mut default_key = true;

    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "-V" | "--version" => {
                println!("vectorify-emulator {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "--quiet" => quiet = true,
            "--host" => builder = builder.host(number::<IpAddr>(&flag, &value()?)?),
            "--port" => builder = builder.port(number(&flag, &value()?)?),
            "--api-key" => {
                let key = value()?;
                if key.trim().is_empty() {
                    return Err("--api-key must not be empty".into());
                }
                builder = builder.api_key(key);
                default_key = false;
            }
            "--max-body-bytes" => builder = builder.max_body_bytes(number(&flag, &value()?)?),
            "--processing-ms" => builder = builder.processing_time(millis(&flag, &value()?)?),
            "--rate-limit" => rate_limit = Some(number(&flag, &value()?)?),
            "--rate-window-secs" => {
                rate_window = Duration::from_secs(number(&flag, &value()?)?);
            }
            "--seed" => faults = faults.seed(number(&flag, &value()?)?),
            "--server-errors" => faults = faults.server_errors(share(&flag, &value()?)?),
            "--rate-limited" => faults = faults.rate_limited(share(&flag, &value()?)?),
            "--dropped-connections" => {
                faults = faults.dropped_connections(share(&flag, &value()?)?);
            }
            "--lost-responses" => faults = faults.lost_responses(share(&flag, &value()?)?),
            "--retry-after-secs" => {
                faults = faults.retry_after(Duration::from_secs(number(&flag, &value()?)?));
            }
            "--latency-ms" => faults = faults.latency(millis(&flag, &value()?)?),
            "--latency-jitter-ms" => faults = faults.latency_jitter(millis(&flag, &value()?)?),
            _ => return Err(format!("unknown option {arg}")),
        }
    }

    if let Some(limit) = rate_limit {
        builder = builder.rate_limit(RateLimit::new(limit, rate_window));
    }
    Ok(Some(Options {
        builder: builder.faults(faults),
        quiet,
        default_key,
    }))
}

fn number<T: FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: cannot read {value:?}"))
}

fn millis(flag: &str, value: &str) -> Result<Duration, String> {
    number(flag, value).map(Duration::from_millis)
}

fn share(flag: &str, value: &str) -> Result<f64, String> {
    let share: f64 = number(flag, value)?;
    if (0.0..=1.0).contains(&share) {
        Ok(share)
    } else {
        Err(format!(
            "{flag}: a share is between 0.0 and 1.0, not {value}"
        ))
    }
}

// Keep the help text's defaults honest.
const _: () = assert!(DEFAULT_MAX_BODY_BYTES == 1_048_576);
const _: () = assert!(DEFAULT_PROCESSING_TIME.as_millis() == 200);
