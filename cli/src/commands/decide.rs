//! `revloop decide`: what would revloop do with this export? The same pipeline the worker runs
//! (normalize and diff, detect, the tenant's decision model with the protocol check), on an
//! embedded store in a temporary folder, with no server. One decision per account that has a
//! signal.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use revloop_activities::contracts::RecordChange;
use revloop_activities::models::{self, DecisionContext};
use revloop_activities::pipeline::{detect_changes, normalize_batch};
use revloop_domain::decision::writeback::{WritebackConfig, route};
use revloop_domain::decision::{DecisionMessage, MeetingBrief, Proposal};
use revloop_domain::records::parse_jsonl;
use revloop_domain::signals::Signal;
use revloop_store::{Evidence, EvidenceStore, Provenance, SignalStore, SqliteStore, TenantConfig};
use serde_json::json;

use super::EXIT_INVALID;

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// Current records (JSONL), as `[SOURCE=]FILE`; repeat for several systems. SOURCE names
    /// the system (default `file`), as ingest's `source` does, so two systems that disagree
    /// show as such.
    #[arg(long = "input", required = true, value_name = "[SOURCE=]FILE")]
    pub inputs: Vec<String>,
    /// Earlier versions of the records (JSONL); a record absent here is new.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Logical now (RFC 3339).
    #[arg(long)]
    pub now: DateTime<Utc>,
    /// Tenant config (TOML: `[signals]`, `[playbooks]`, `[decision]`, …).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Tenant the ids are derived for.
    #[arg(long, default_value = "local")]
    pub tenant: String,
}

/// `SOURCE=FILE` or `FILE`.
fn source_and_path(input: &str) -> (String, PathBuf) {
    match input.split_once('=') {
        Some((source, path)) if !source.is_empty() && !source.contains('/') => {
            (source.to_string(), PathBuf::from(path))
        }
        _ => ("file".to_string(), PathBuf::from(input)),
    }
}

pub async fn run(args: &DecideArgs, json: bool) -> anyhow::Result<i32> {
    let config: TenantConfig = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("tenant config {}", path.display()))?
        }
        None => TenantConfig::default(),
    };
    let inputs: Vec<(String, PathBuf)> = args.inputs.iter().map(|i| source_and_path(i)).collect();
    let offline = decide_offline(
        &inputs,
        args.previous.as_deref(),
        args.now,
        &config,
        &args.tenant,
    )
    .await?;
    for decision in &offline.decisions {
        print_decision(
            &decision.account_id,
            &decision.signals,
            &decision.message,
            &config.writeback,
            json,
        )?;
    }
    Ok(if offline.rejected > 0 {
        EXIT_INVALID
    } else {
        0
    })
}

/// One account's offline decision.
pub struct OfflineDecision {
    pub account_id: String,
    pub signals: Vec<Signal>,
    pub message: DecisionMessage,
}

/// What the offline pipeline decided, the store it decided on (kept for checks against the
/// stored record versions, removed with `_dir`), and how many lines it refused.
pub struct Offline {
    pub decisions: Vec<OfflineDecision>,
    pub store: SqliteStore,
    pub tenant: String,
    pub rejected: usize,
    _dir: tempfile::TempDir,
}

/// The worker's pipeline on files, with no server: normalize and diff (the previous versions
/// first, a moment earlier, as the first input's source), detect, then per account with a
/// signal the world state and the tenant's model, checked against the protocol.
pub async fn decide_offline(
    inputs: &[(String, PathBuf)],
    previous: Option<&std::path::Path>,
    now: DateTime<Utc>,
    config: &TenantConfig,
    tenant: &str,
) -> anyhow::Result<Offline> {
    config
        .decision
        .check(&models::names())
        .map_err(anyhow::Error::msg)
        .context("tenant config")?;
    revloop_domain::TenantId::parse(tenant).context("--tenant")?;
    let dir = tempfile::tempdir().context("a temporary folder for the embedded store")?;
    let store = SqliteStore::open(dir.path().join("decide.db"))?;
    let mut rejected = 0;
    // The previous versions are earlier versions from the first input's source: that source
    // changed its mind, which is no dispute between two sources.
    if let (Some(path), Some((source, _))) = (previous, inputs.first()) {
        let earlier = now - chrono::Duration::seconds(1);
        load(&store, tenant, source, path, earlier, &mut rejected).await?;
    }
    let mut changes = Vec::new();
    for (source, path) in inputs {
        changes.extend(load(&store, tenant, source, path, now, &mut rejected).await?);
    }
    let detected = detect_changes(
        &store,
        &Default::default(),
        tenant,
        &changes,
        now,
        &config.signals,
    )
    .await?;
    let mut by_account: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &detected.new_signals {
        by_account
            .entry(s.account_id.clone())
            .or_default()
            .push(s.signal_id.clone());
    }
    let registry = models::builtin();
    let mut decisions = Vec::new();
    for (account, ids) in by_account {
        let signals: Vec<Signal> = store
            .list_signals(tenant, Some(&account))
            .await?
            .into_iter()
            .filter(|s| ids.contains(&s.signal_id))
            .collect();
        // The world as the worker computes it: per-field states, with what sources dispute.
        let (facts, _) =
            revloop_activities::world::account_facts(&store, tenant, &account, now).await?;
        let brief = MeetingBrief::compute(&facts, &signals, now);
        let decision_id = revloop_activities::workflow_ids::decision(tenant, &account, "offline");
        let context = DecisionContext {
            decision_id: &decision_id,
            facts: &facts,
            signals: &signals,
            brief: &brief,
            brief_artifact_key: "offline-brief",
            memory: &[],
            tools: &[],
            config,
            now,
        };
        let checked = models::decide_checked(&registry, &context).await?;
        decisions.push(OfflineDecision {
            account_id: account,
            signals,
            message: checked.message,
        });
    }
    Ok(Offline {
        decisions,
        store,
        tenant: tenant.to_string(),
        rejected,
        _dir: dir,
    })
}

/// Stores one file as a batch from `source` and normalizes it; bad lines go to stderr with the
/// file, line and field (and into the embedded quarantine, as on a server).
async fn load(
    store: &SqliteStore,
    tenant: &str,
    source: &str,
    path: &std::path::Path,
    at: DateTime<Utc>,
    rejected: &mut usize,
) -> anyhow::Result<Vec<RecordChange>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for r in &parse_jsonl(&text).rejected {
        eprintln!("{}: {r}", path.display());
        *rejected += 1;
    }
    let provenance = Provenance {
        source: source.to_string(),
        connector: "decide".into(),
        fetched_at: at,
        cursor: None,
        trust_class: "crm".into(),
    };
    let evidence = Evidence::new(tenant, text.into_bytes(), provenance);
    store.put_evidence(&evidence).await?;
    let normalized = normalize_batch(store, tenant, &evidence.evidence_id, at).await?;
    Ok(normalized.changes)
}

fn print_decision(
    account: &str,
    signals: &[Signal],
    message: &DecisionMessage,
    writeback: &WritebackConfig,
    json: bool,
) -> anyhow::Result<()> {
    let needs_approval = |p: &Proposal| route(p.kind, p.confidence, writeback).needs_approval();
    let mut types: Vec<String> = signals
        .iter()
        .map(|s| s.signal_type.as_str().to_string())
        .collect();
    types.sort();
    types.dedup();
    let proposals: Vec<serde_json::Value> = message
        .proposals()
        .iter()
        .map(|p| {
            json!({
                "kind": p.kind.as_str(),
                "rank": p.rank,
                "confidence": p.confidence,
                "requires_approval": needs_approval(p),
                "why_now": p.why_now,
                "evidence_refs": p.evidence_refs,
                "params": p.params,
                "playbook": p.playbook,
            })
        })
        .collect();
    let questions = match message {
        DecisionMessage::ClarificationRequest { questions } => serde_json::to_value(questions)?,
        _ => json!([]),
    };
    if json {
        let line = json!({
            "account_id": account,
            "message": message.name(),
            "signals": types,
            "proposals": proposals,
            "questions": questions,
        });
        println!("{line}");
        return Ok(());
    }
    println!("{account}: {} ({})", message.name(), types.join(", "));
    match message {
        DecisionMessage::NoAction { reason } => println!("  {reason}"),
        DecisionMessage::ClarificationRequest { questions } => {
            for q in questions {
                println!("  ? {}", q.question);
                for (i, o) in q.options.iter().enumerate() {
                    println!("    {}. {} says {}", i + 1, o.source, o.value);
                }
            }
        }
        _ => {}
    }
    for p in message.proposals() {
        let approval = if needs_approval(p) {
            ", needs approval"
        } else {
            ""
        };
        println!(
            "  {}. {} ({:.2}{approval}): {}",
            p.rank,
            p.kind.as_str(),
            p.confidence,
            p.why_now
        );
    }
    Ok(())
}
