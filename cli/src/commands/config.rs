//! `revloop config check`: reads the environment (and flags after `--`) exactly as
//! `revloop-worker` or `revloop-api` would, with their own argument parsers, and prints what
//! the process will use, secrets masked. A contradiction or a missing setting is refused with
//! the variable's name and exit status 78 (EX_CONFIG), so the chart's init container stops a
//! pod that would not start before it starts.

use std::path::Path;

use clap::{Parser, ValueEnum};
use revloop_activities::approval_token::ApprovalKeys;
use revloop_runtime::store_args::{StoreArgs, StoreChoice};
use revloop_runtime::telemetry::{LogFormat, TracePlan};
use revloop_runtime::temporal::TemporalArgs;

/// Exit status of a refused configuration (sysexits' EX_CONFIG).
pub const EXIT_CONFIG: i32 = 78;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Process {
    Worker,
    Api,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Which process's settings to read.
    #[arg(long = "for", value_enum)]
    pub process: Process,
    /// Extra flags, as the process would get them (after `--`).
    #[arg(last = true)]
    pub flags: Vec<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the settings a worker or API would start with, and refuse contradictions.
    Check(CheckArgs),
}

/// One setting as printed: name, value (masked for secrets).
type Line = (&'static str, String);

pub fn run(cmd: &ConfigCommand, json: bool) -> anyhow::Result<i32> {
    let ConfigCommand::Check(args) = cmd;
    match check(args) {
        Ok(lines) => {
            if json {
                let map: serde_json::Map<String, serde_json::Value> = lines
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.clone())))
                    .collect();
                super::print_json(&serde_json::json!({"ok": true, "settings": map}))?;
            } else {
                let process = match args.process {
                    Process::Worker => "revloop-worker",
                    Process::Api => "revloop-api",
                };
                println!("{process} will start with:");
                let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
                for (name, value) in &lines {
                    println!("  {name:<width$}  {value}");
                }
                println!("ok: no contradictions");
            }
            Ok(0)
        }
        Err(refusal) => {
            if json {
                super::print_json(
                    &serde_json::json!({"ok": false, "error": format!("{refusal:#}")}),
                )?;
            } else {
                eprintln!("refused: {refusal:#}");
            }
            Ok(EXIT_CONFIG)
        }
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<Vec<Line>> {
    match args.process {
        Process::Worker => {
            let worker =
                parse::<revloop_worker::config::WorkerArgs>("revloop-worker", &args.flags)?;
            let mut lines = common(&worker.temporal, &worker.store)?;
            lines.push(("worker mode", format!("{:?}", worker.mode).to_lowercase()));
            lines.push(("health", addr(worker.health_addr)));
            lines.push(("metrics", addr(worker.metrics_addr)));
            lines.push(("temporal metrics", addr(worker.temporal_metrics_addr)));
            lines.push((
                "graceful shutdown",
                format!(
                    "{} s for running activities after SIGTERM",
                    worker.graceful_shutdown_secs
                ),
            ));
            lines.push((
                "approval timeout",
                format!("{} s", worker.approval_timeout_secs),
            ));
            lines.push((
                "inbox",
                worker
                    .inbox_dir
                    .as_deref()
                    .map_or("off".into(), |d| d.display().to_string()),
            ));
            lines.extend(memory(
                &worker.memory,
                worker.memory_dir.as_deref(),
                &worker.store,
            )?);
            lines.extend(trust(&worker.trust)?);
            Ok(lines)
        }
        Process::Api => {
            let api = parse::<revloop_api::config::ApiArgs>("revloop-api", &args.flags)?;
            if api.jwt_secret.len() < 16 {
                anyhow::bail!("REVLOOP_JWT_SECRET must be at least 16 characters");
            }
            let mut lines = common(&api.temporal, &api.store)?;
            lines.push(("grpc", api.listen.to_string()));
            lines.push(("http", api.http_listen.to_string()));
            lines.push(("metrics", addr(api.metrics_addr)));
            lines.push(("jwt secret", masked(&api.jwt_secret)));
            lines.push(("mcp allowed hosts", api.mcp_allowed_hosts.join(", ")));
            lines.push(("secure cookies", api.web_secure_cookies.to_string()));
            lines.push((
                "drain",
                format!(
                    "{} s for in-flight calls after SIGTERM",
                    api.shutdown_drain_secs
                ),
            ));
            lines.extend(memory(&api.memory, api.memory_dir.as_deref(), &api.store)?);
            lines.extend(trust(&api.trust)?);
            Ok(lines)
        }
    }
}

/// Parses with the process's own parser, from the environment plus `flags`.
fn parse<T: Parser>(name: &str, flags: &[String]) -> anyhow::Result<T> {
    T::try_parse_from(std::iter::once(name.to_string()).chain(flags.iter().cloned())).map_err(|e| {
        if e.kind() == clap::error::ErrorKind::MissingRequiredArgument {
            let missing = missing_required::<T>();
            if !missing.is_empty() {
                return anyhow::anyhow!("{name} needs {} (unset)", missing.join(", "));
            }
        }
        anyhow::anyhow!("{}", e.render().to_string().trim_end())
    })
}

/// The environment variables of `T`'s required settings that are unset or empty.
fn missing_required<T: clap::CommandFactory>() -> Vec<String> {
    T::command()
        .get_arguments()
        .filter(|arg| arg.is_required_set())
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .filter(|env| std::env::var(env).map_or(true, |v| v.is_empty()))
        .collect()
}

fn common(temporal: &TemporalArgs, store: &StoreArgs) -> anyhow::Result<Vec<Line>> {
    let plan = temporal.plan()?;
    let mut tls = if plan.tls {
        "on".to_string()
    } else {
        "off".to_string()
    };
    if plan.client_certificate {
        tls.push_str(", client certificate (mTLS)");
    }
    if plan.server_ca {
        tls.push_str(", server CA");
    }
    if let Some(name) = &plan.server_name {
        tls.push_str(&format!(", server name {name}"));
    }
    let mut lines = vec![
        ("temporal", plan.target.clone()),
        ("namespace", plan.namespace.clone()),
        ("task queue", plan.task_queue.clone()),
        ("temporal tls", tls),
        (
            "temporal api key",
            if plan.api_key {
                "set (masked)".into()
            } else {
                "not set".into()
            },
        ),
    ];
    match store.choice()? {
        StoreChoice::Sqlite(path) => lines.push(("store", format!("sqlite {}", path.display()))),
        StoreChoice::Aws(aws) => {
            lines.push((
                "store",
                format!("aws: tables {0}-main, {0}-ledger", aws.table_prefix),
            ));
            lines.push((
                "buckets",
                format!(
                    "content {}, ledger {}, schemas {}",
                    aws.content_bucket, aws.ledger_bucket, aws.schema_bucket
                ),
            ));
            lines.push((
                "kms keys",
                format!(
                    "deployment {}, tenants {}",
                    aws.kms_key_id.as_deref().unwrap_or("none"),
                    aws.tenant_key_pattern
                        .as_deref()
                        .unwrap_or("the deployment's")
                ),
            ));
            lines.push((
                "ledger lock",
                format!("{} days, COMPLIANCE mode", aws.ledger_lock_days),
            ));
            lines.push((
                "endpoints",
                format!(
                    "dynamodb {}, s3 {}",
                    aws.dynamodb_endpoint.as_deref().unwrap_or("the region's"),
                    aws.s3_endpoint.as_deref().unwrap_or("the region's")
                ),
            ));
        }
    }
    let format = LogFormat::from_env()?;
    lines.push(("logs", format!("{format:?}").to_lowercase()));
    let traces = TracePlan::from_env("revloop");
    lines.push((
        "traces",
        match traces.endpoint {
            Some(endpoint) => format!("OTLP/gRPC to {endpoint}"),
            None => "off (OTEL_EXPORTER_OTLP_ENDPOINT unset)".into(),
        },
    ));
    Ok(lines)
}

fn memory(
    args: &revloop_activities::memory::MemoryArgs,
    dir: Option<&Path>,
    store: &StoreArgs,
) -> anyhow::Result<Vec<Line>> {
    use revloop_activities::memory::{BM25_NEEDS_A_FOLDER, MemoryBackend};
    let dir = match dir {
        Some(dir) => Some(dir.to_path_buf()),
        None => store.memory_dir_beside()?,
    };
    let line = match (args.memory_backend, dir) {
        (MemoryBackend::Bm25, Some(dir)) => format!("bm25 in {}", dir.display()),
        (MemoryBackend::Bm25, None) => anyhow::bail!(BM25_NEEDS_A_FOLDER),
        (MemoryBackend::Titan, _) => format!(
            "titan ({}, {} dimensions), vectors in the store",
            args.titan_model, args.titan_dimensions
        ),
    };
    Ok(vec![("memory", line)])
}

fn trust(args: &revloop_activities::trust_args::TrustArgs) -> anyhow::Result<Vec<Line>> {
    args.egress
        .policy()
        .map_err(|e| anyhow::anyhow!("REVLOOP_EGRESS_ALLOW_NETS: {e}"))?;
    ApprovalKeys::from_args(&args.approval_keys)
        .map_err(|e| anyhow::anyhow!("REVLOOP_APPROVAL_KEY: {e}"))?;
    let previous = args
        .approval_keys
        .approval_keys_previous
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .count();
    Ok(vec![
        (
            "approval key",
            format!(
                "{} ({previous} previous)",
                masked(&args.approval_keys.approval_key)
            ),
        ),
        (
            "egress",
            format!(
                "http {}, internal networks [{}]",
                if args.egress.egress_allow_http {
                    "allowed"
                } else {
                    "refused"
                },
                args.egress.egress_allow_nets
            ),
        ),
        (
            "tenant secrets",
            args.secrets
                .tenant_secrets_dir
                .as_deref()
                .map_or("environment only".into(), |d| d.display().to_string()),
        ),
    ])
}

fn masked(secret: &str) -> String {
    format!("set ({} characters, masked)", secret.chars().count())
}

fn addr(addr: Option<std::net::SocketAddr>) -> String {
    addr.map_or("off".into(), |a| a.to_string())
}
