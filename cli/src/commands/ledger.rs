use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, EXIT_LEDGER_BROKEN, print_json};

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the hash chain; names the first broken entry.
    Verify,
    /// List entries in order.
    List {
        #[arg(long, default_value = "")]
        trace: String,
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub async fn run(mut client: ApiClient, cmd: &LedgerCommand, json: bool) -> anyhow::Result<i32> {
    match cmd {
        LedgerCommand::Verify => {
            let report = client
                .ledger
                .verify_ledger(pb::VerifyLedgerRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner();
            if json {
                print_json(&report)?;
            } else if report.intact {
                println!("ledger intact: {} entries verified", report.entries_checked);
            } else {
                println!(
                    "ledger BROKEN at entry {}: {}",
                    report.first_broken_seq, report.reason
                );
            }
            Ok(if report.intact { 0 } else { EXIT_LEDGER_BROKEN })
        }
        LedgerCommand::List {
            trace,
            after,
            limit,
        } => {
            let request = pb::ListLedgerEntriesRequest {
                tenant_id: String::new(),
                after_seq: *after,
                limit: *limit,
                trace_id: trace.clone(),
                page_token: String::new(),
            };
            let page = client
                .ledger
                .list_ledger_entries(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            let entries = page.entries;
            if !page.next_page_token.is_empty() {
                eprintln!(
                    "more entries follow: revloop ledger list --after {}",
                    page.next_page_token
                );
            }
            if json {
                print_json(&entries)?;
            } else {
                for e in &entries {
                    println!(
                        "{:>5} {} {:<11} {:<45} {} {}",
                        e.seq,
                        e.at,
                        e.kind,
                        e.activity,
                        e.workflow_id,
                        &e.hash[..12]
                    );
                }
            }
            Ok(0)
        }
    }
}
