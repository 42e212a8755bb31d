//! `revloop memory search QUERY [--account A]`: what revloop remembers, ranked.

use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Notes, meeting titles, ticket subjects and news ranked for the query.
    Search {
        query: String,
        #[arg(long, default_value = "")]
        account: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
}

pub async fn run(mut client: ApiClient, cmd: &MemoryCommand, json: bool) -> anyhow::Result<i32> {
    let MemoryCommand::Search {
        query,
        account,
        limit,
    } = cmd;
    let found = client
        .world
        .search_memory(pb::SearchMemoryRequest {
            query: query.clone(),
            account_id: account.clone(),
            limit: *limit,
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&found)?;
    } else if found.hits.is_empty() {
        println!("nothing found");
    }
    for h in found.hits.iter().filter(|_| !json) {
        println!(
            "{:.2}  {} [{}] {}  ({})",
            h.score, h.account_id, h.kind, h.text, h.evidence_ref
        );
    }
    Ok(0)
}
