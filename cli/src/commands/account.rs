//! `revloop account show ACCOUNT [--as-of T]`: what revloop knows about an account.

use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Posture, top risks, unknowns (with every source's claim when disputed), momentum, and the
    /// snapshots and evidence the state rests on.
    Show {
        account_id: String,
        /// RFC 3339: the state from only the evidence known then.
        #[arg(long, default_value = "")]
        as_of: String,
    },
}

pub async fn run(mut client: ApiClient, cmd: &AccountCommand, json: bool) -> anyhow::Result<i32> {
    let AccountCommand::Show { account_id, as_of } = cmd;
    let state = client
        .world
        .get_account_state(pb::GetAccountStateRequest {
            account_id: account_id.clone(),
            as_of: as_of.clone(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&state)?;
        return Ok(0);
    }
    println!(
        "{} as of {}: {} (momentum {})",
        state.account_id, state.as_of, state.posture, state.momentum
    );
    for r in &state.top_risks {
        println!(
            "  risk [{}] {} — evidence: {}",
            r.severity,
            r.why,
            r.evidence_refs.join(", ")
        );
    }
    for u in &state.unknowns {
        println!("  unknown {}.{}: {}", u.entity, u.field, u.reason);
        for c in &u.claims {
            println!(
                "    {} says {} ({}, {}, observed {})",
                c.source, c.value_json, c.trust_class, c.evidence_id, c.observed_at
            );
        }
    }
    if !state.snapshot_ref.is_empty() {
        println!("  bound to {}", state.snapshot_ref);
    }
    let snapshots = state
        .supporting_artifacts
        .iter()
        .filter(|a| a.kind == "snapshot")
        .count();
    println!(
        "  rests on {snapshots} snapshots and {} evidence batches",
        state.supporting_artifacts.len() - snapshots
    );
    Ok(0)
}
