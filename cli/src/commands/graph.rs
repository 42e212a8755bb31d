//! `revloop graph neighbours|stakeholders|path`: the situation graph of the token's tenant.

use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum GraphCommand {
    /// Every edge at a vertex (`account:acme`, `contact:c1`, …).
    Neighbours { vertex: String },
    /// The account's contacts and how each is linked to it.
    Stakeholders { account: String },
    /// The shortest path between two vertices.
    Path {
        from: String,
        to: String,
        #[arg(long, default_value_t = 6)]
        max_depth: u32,
    },
}

pub async fn run(mut client: ApiClient, cmd: &GraphCommand, json: bool) -> anyhow::Result<i32> {
    let request = match cmd {
        GraphCommand::Neighbours { vertex } => pb::QueryGraphRequest {
            query: "neighbours".into(),
            vertex: vertex.clone(),
            ..Default::default()
        },
        GraphCommand::Stakeholders { account } => pb::QueryGraphRequest {
            query: "stakeholders".into(),
            vertex: format!("account:{account}"),
            ..Default::default()
        },
        GraphCommand::Path {
            from,
            to,
            max_depth,
        } => pb::QueryGraphRequest {
            query: "path".into(),
            vertex: from.clone(),
            to: to.clone(),
            max_depth: *max_depth,
        },
    };
    let answer = client
        .world
        .query_graph(request)
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    for e in &answer.edges {
        println!("{} —{}→ {}", e.from, e.kind, e.to);
    }
    for s in &answer.stakeholders {
        println!("{}: {}", s.contact, s.relations.join(", "));
    }
    if !answer.path.is_empty() {
        println!("{}", answer.path.join(" → "));
    }
    Ok(0)
}
