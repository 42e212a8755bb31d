//! `revloop signals list` (from the API) and `revloop signals detect` (offline, on an export).

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_domain::TenantId;
use revloop_domain::records::{Record, parse_jsonl};
use revloop_domain::signals::{SignalConfig, builtin, detect_batch};
use revloop_proto::v1 as pb;
use serde::Deserialize;

use super::{ApiError, EXIT_INVALID, print_json};

#[derive(Debug, Subcommand)]
pub enum SignalsCommand {
    /// Signals the loop detected for the token's tenant.
    List {
        #[arg(long, default_value = "")]
        account: String,
    },
    /// Run the detectors on an export, with no server: what would revloop flag?
    Detect(DetectArgs),
}

#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Current records (JSONL).
    #[arg(long)]
    pub input: PathBuf,
    /// Earlier versions of the records (JSONL); a record absent here is new.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Logical now (RFC 3339).
    #[arg(long)]
    pub now: DateTime<Utc>,
    /// Tenant config (TOML with a `[signals]` table).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Tenant the signal ids are derived for.
    #[arg(long, default_value = "local")]
    pub tenant: String,
}

/// The part of a tenant config file that detection reads.
#[derive(Debug, Default, Deserialize)]
struct TenantFile {
    #[serde(default)]
    signals: SignalConfig,
}

pub async fn list(mut client: ApiClient, account: &str, json: bool) -> anyhow::Result<i32> {
    // Every page, in order.
    let mut signals = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListSignalsRequest {
            tenant_id: String::new(),
            account_id: account.to_string(),
            page_size: 0,
            page_token: page_token.clone(),
        };
        let page = client
            .signals
            .list_signals(request)
            .await
            .map_err(ApiError::from)?
            .into_inner();
        signals.extend(page.signals);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    if json {
        print_json(&signals)?;
    } else {
        for s in &signals {
            println!(
                "{:<28} {:<10} {:<7} {}  {}",
                s.signal_type, s.account_id, s.severity, s.dedup_key, s.details_json
            );
        }
    }
    Ok(0)
}

/// Reads a JSONL file; bad lines are reported on stderr with file, line and field.
fn read_records(path: &Path, rejected: &mut usize) -> anyhow::Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let parsed = parse_jsonl(&text);
    for r in &parsed.rejected {
        eprintln!("{}: {r}", path.display());
    }
    *rejected += parsed.rejected.len();
    Ok(parsed.records.into_iter().map(|(_, r)| r).collect())
}

pub fn detect(args: &DetectArgs, json: bool) -> anyhow::Result<i32> {
    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<TenantFile>(&text)
                .with_context(|| format!("tenant config {}", path.display()))?
                .signals
        }
        None => SignalConfig::default(),
    };
    let tenant = TenantId::parse(&args.tenant).context("--tenant")?;
    let mut rejected = 0;
    let current = read_records(&args.input, &mut rejected)?;
    let previous = match &args.previous {
        Some(path) => read_records(path, &mut rejected)?,
        None => Vec::new(),
    };
    for signal in detect_batch(&builtin(), &tenant, current, previous, args.now, &config) {
        if json {
            println!("{}", serde_json::to_string(&signal)?);
        } else {
            println!(
                "{:<28} {:<12} {:<6} {:.2}  {}  {}",
                signal.signal_type.as_str(),
                signal.account_id,
                serde_json::to_value(signal.severity)?
                    .as_str()
                    .unwrap_or_default(),
                signal.confidence,
                signal.dedup_key,
                signal.details
            );
        }
    }
    Ok(if rejected > 0 { EXIT_INVALID } else { 0 })
}
