//! Command-line surface: one file per noun.

mod account;
mod actions;
mod bench;
mod config;
mod connectors;
mod decide;
mod demo;
mod eval;
mod graph;
mod ingest;
mod ledger;
mod memory;
mod plans;
mod questions;
mod seed;
mod signals;
mod tenant;
mod token;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use revloop_cli::client::ApiClient;
use revloop_cli::output::status_message;

/// Exit codes: 0 ok, 1 failure, 2 rejected input, 3 not allowed, 4 ledger broken.
pub const EXIT_INVALID: i32 = 2;
pub const EXIT_DENIED: i32 = 3;
pub const EXIT_LEDGER_BROKEN: i32 = 4;

#[derive(Debug, Parser)]
#[command(
    name = "revloop",
    version,
    about = "The autonomous revenue decision loop"
)]
pub struct Cli {
    /// API address.
    #[arg(
        long,
        global = true,
        env = "REVLOOP_API",
        default_value = "http://127.0.0.1:50051"
    )]
    pub api: String,
    /// Bearer token; defaults to the demo's `.revloop/dev-token`.
    #[arg(long, global = true, env = "REVLOOP_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum ActionsCommand {
    /// Reverse an executed action: delete the CRM task it created, restore the field it changed,
    /// withdraw the email it queued. An email already delivered cannot be undone, and says so.
    Undo {
        action_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// The executed actions whose effect waits in revloop's outbox (no CRM or mailer
    /// configured), oldest first.
    Outbox,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a Temporal dev server, worker and API, load a demo tenant, run the loop and show
    /// the top actions. Stays up until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Push a JSONL file of canonical records, of any size (in chunks of at most 1 MiB under
    /// one trace, with a progress bar on a terminal); bad lines are reported by their line in
    /// the file, and kept.
    Ingest {
        file: PathBuf,
        /// Defaults to the token's tenant.
        #[arg(long, default_value = "")]
        tenant: String,
        /// The system the records come from (default: the file's path). Two exports of one
        /// system should name it alike, or their differences read as two systems disagreeing.
        #[arg(long)]
        source: Option<String>,
    },
    /// Every quarantined line of one batch (the evidence id `ingest` printed), in line order.
    Quarantine { evidence_id: String },
    /// List actions, most important first; `actions undo ID` reverses one, `actions outbox`
    /// lists what waits in revloop's outbox.
    #[command(args_conflicts_with_subcommands = true)]
    Actions {
        #[command(subcommand)]
        command: Option<ActionsCommand>,
        #[arg(long, default_value = "")]
        status: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One action with its evidence, validation and approval history.
    Show { action_id: String },
    /// Why was this action blocked or warned? Every validator and budget result, with reasons,
    /// the snapshot it was checked against and the ledger sequence numbers.
    Why { action_id: String },
    /// Approve an action that awaits approval.
    Approve {
        action_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Approve with changes: `--set subject="New subject"` (repeatable).
    Edit {
        action_id: String,
        #[arg(long = "set", value_name = "PARAM=VALUE", required = true)]
        changes: Vec<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Print an approval token for this action, alone on stdout, to send with a plain
    /// Temporal signal: `--input '{"approver": …, "reason": …, "token": "…"}'`.
    ApprovalToken {
        action_id: String,
        /// Decisions the token allows (approve, edit, reject); all three by default.
        #[arg(long = "allow", value_name = "DECISION")]
        decisions: Vec<String>,
    },
    /// "What should I do next?" on an account: its ranked proposals now (suggestions only),
    /// from the AccountWorkflow's `next_best_actions` Update.
    Next { account: String },
    /// Questions decisions asked because a fact they need is disputed, with numbered options.
    Questions {
        /// Only this account's.
        #[arg(long, default_value = "")]
        account: String,
        /// Answered and expired ones too.
        #[arg(long)]
        all: bool,
    },
    /// Answer a question: an option's number, or a value of your own. The decision that
    /// asked runs again once all its questions are answered.
    Answer {
        question_id: String,
        #[arg(long, conflicts_with = "value", required_unless_present = "value")]
        choice: Option<u32>,
        #[arg(long)]
        value: Option<String>,
    },
    /// Print an answer token for this question, alone on stdout, to send with a plain
    /// Temporal signal `answer`: `--input '{"question_id": …, "choice": N, "token": "…"}'`.
    AnswerToken { question_id: String },
    /// Reject an action that awaits approval.
    Reject {
        action_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Signals: list what the loop detected, or detect offline on an export.
    #[command(subcommand)]
    Signals(signals::SignalsCommand),
    /// What would revloop do with an export? Normalize, detect and decide offline, no server.
    Decide(decide::DecideArgs),
    /// How well do the playbooks answer planted situations? Precision and recall per
    /// playbook, grounding, approval routing and clarifications, on a generated tenant.
    Eval(eval::EvalArgs),
    /// Decisions: replay one without calling its model.
    #[command(subcommand)]
    Decision(actions::DecisionCommand),
    /// Read or verify the tamper-evident ledger.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Multi-step plans: `plans list`, `plans show ID`, and `approve`, `reject`, `pause`,
    /// `resume`, `abort` (approver).
    #[command(subcommand)]
    Plans(plans::PlansCommand),
    /// What revloop knows about an account, now or as of an earlier instant.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// The situation graph: neighbours of a vertex, an account's stakeholders, paths.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Search what revloop remembers: notes, meetings, tickets, news.
    #[command(subcommand)]
    Memory(memory::MemoryCommand),
    /// Register and list the tenant's data sources.
    #[command(subcommand)]
    Connectors(connectors::ConnectorsCommand),
    /// Read or replace the tenant's configuration (TOML).
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Write a synthetic tenant: JSONL for every record type with planted situations, and the
    /// signals they must raise.
    Seed(seed::SeedArgs),
    /// Measure revloop's hot paths on generated data (no server).
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Mint a bearer token with the signing secret (REVLOOP_JWT_SECRET).
    Token(token::TokenArgs),
    /// Check a worker's or API's settings before starting it (`revloop config check --for
    /// worker`): prints what it will use, secrets masked; refuses contradictions (exit 78).
    #[command(subcommand)]
    Config(config::ConfigCommand),
}

pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    match &cli.command {
        Command::Demo(args) => demo::run(args).await,
        Command::Token(args) => token::run(args),
        Command::Config(cmd) => config::run(cmd, cli.json),
        Command::Ledger(cmd @ ledger::LedgerCommand::Verify { offline: true, .. }) => {
            ledger::verify_offline(cmd, cli.json)
        }
        Command::Seed(args) => seed::run(args),
        Command::Bench(cmd) => bench::run(cmd, cli.json).await,
        Command::Signals(signals::SignalsCommand::Detect(args)) => signals::detect(args, cli.json),
        Command::Decide(args) => decide::run(args, cli.json).await,
        Command::Eval(args) => eval::run(args, cli.json).await,
        _ => {
            let client = connect(&cli).await?;
            match &cli.command {
                Command::Ingest {
                    file,
                    tenant,
                    source,
                } => ingest::run(client, file, tenant, source.as_deref(), cli.json).await,
                Command::Quarantine { evidence_id } => {
                    ingest::quarantine(client, evidence_id, cli.json).await
                }
                Command::Actions {
                    command: None,
                    status,
                    limit,
                } => actions::list(client, status, *limit, cli.json).await,
                Command::Actions {
                    command: Some(ActionsCommand::Undo { action_id, reason }),
                    ..
                } => actions::undo(client, action_id, reason, cli.json).await,
                Command::Actions {
                    command: Some(ActionsCommand::Outbox),
                    ..
                } => actions::outbox(client, cli.json).await,
                Command::Show { action_id } => actions::show(client, action_id, cli.json).await,
                Command::Why { action_id } => actions::why(client, action_id, cli.json).await,
                Command::Approve { action_id, reason } => {
                    actions::decide(client, action_id, reason, true, cli.json).await
                }
                Command::Edit {
                    action_id,
                    changes,
                    reason,
                } => actions::edit(client, action_id, changes, reason, cli.json).await,
                Command::ApprovalToken {
                    action_id,
                    decisions,
                } => actions::approval_token(client, action_id, decisions, cli.json).await,
                Command::Next { account } => actions::next(client, account, cli.json).await,
                Command::Questions { account, all } => {
                    questions::list(client, account, *all, cli.json).await
                }
                Command::Answer {
                    question_id,
                    choice,
                    value,
                } => {
                    questions::answer(client, question_id, *choice, value.as_deref(), cli.json)
                        .await
                }
                Command::AnswerToken { question_id } => {
                    questions::answer_token(client, question_id, cli.json).await
                }
                Command::Decision(actions::DecisionCommand::Replay { decision_id }) => {
                    actions::replay(client, decision_id, cli.json).await
                }
                Command::Reject { action_id, reason } => {
                    actions::decide(client, action_id, reason, false, cli.json).await
                }
                Command::Signals(signals::SignalsCommand::List { account }) => {
                    signals::list(client, account, cli.json).await
                }
                Command::Ledger(cmd) => ledger::run(client, cmd, cli.json).await,
                Command::Plans(cmd) => plans::run(client, cmd, cli.json).await,
                Command::Account(cmd) => account::run(client, cmd, cli.json).await,
                Command::Graph(cmd) => graph::run(client, cmd, cli.json).await,
                Command::Memory(cmd) => memory::run(client, cmd, cli.json).await,
                Command::Tenant(cmd) => tenant::run(client, cmd, cli.json).await,
                Command::Connectors(cmd) => connectors::run(client, cmd, cli.json).await,
                Command::Demo(_)
                | Command::Token(_)
                | Command::Config(_)
                | Command::Seed(_)
                | Command::Bench(_)
                | Command::Decide(_)
                | Command::Eval(_)
                | Command::Signals(signals::SignalsCommand::Detect(_)) => {
                    unreachable!("handled above")
                }
            }
        }
    }
}

async fn connect(cli: &Cli) -> anyhow::Result<ApiClient> {
    let token = match &cli.token {
        Some(t) => t.clone(),
        None => std::fs::read_to_string(demo::dev_token_path())
            .map(|t| t.trim().to_string())
            .context("no token: pass --token or REVLOOP_TOKEN (or run `revloop demo`, which writes .revloop/dev-token)")?,
    };
    ApiClient::connect(&cli.api, &token).await
}

/// An API error as a CLI error that keeps its gRPC status for the exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: tonic::Code,
    pub message: String,
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        Self {
            code: status.code(),
            message: format!("{:?}: {}", status.code(), status_message(&status)),
        }
    }
}

pub fn exit_code_of(err: &anyhow::Error) -> i32 {
    match err.downcast_ref::<ApiError>().map(|e| e.code) {
        Some(tonic::Code::InvalidArgument) => EXIT_INVALID,
        Some(tonic::Code::PermissionDenied | tonic::Code::Unauthenticated) => EXIT_DENIED,
        _ => 1,
    }
}

pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Prints a signed token alone on stdout (so `$(revloop … -token …)` works) with what it is
/// for on stderr, or, with `--json`, the whole answer.
pub fn print_token(
    json: bool,
    token: &str,
    what: &str,
    subject: &str,
    expires_at: &str,
    workflow_id: &str,
    whole: serde_json::Value,
) -> anyhow::Result<()> {
    if json {
        return print_json(&whole);
    }
    println!("{token}");
    eprintln!("{what} as {subject}, valid until {expires_at}; send it to {workflow_id}");
    Ok(())
}
