//! `revloop eval`: how well do the playbooks answer what the generator planted? It generates a
//! tenant (as `revloop seed`), runs the offline decision pipeline on it (as `revloop decide`),
//! and reports per playbook the precision and recall of the proposed kinds against the
//! planted ones, and over all proposals the grounding rate (every evidence ref resolves to a
//! stored record version), the approval routing (customer-facing kinds, and only they, wait
//! for a person) and the clarification rate.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use revloop_cli::seed::{SeedOptions, generate, tenant_toml, write};
use revloop_domain::decision::{ActionKind, DecisionMessage};
use revloop_store::{RecordStore, TenantConfig};
use serde::Serialize;

use super::decide::decide_offline;
use super::print_json;

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 30)]
    pub accounts: usize,
    /// Logical now the data is generated and decided at (default: now).
    #[arg(long)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Serialize)]
pub struct PlaybookScore {
    pub expected: usize,
    pub proposed: usize,
    pub matched: usize,
    pub precision: f64,
    pub recall: f64,
}

#[derive(Debug, Serialize)]
pub struct EvalReport {
    pub seed: u64,
    pub accounts: usize,
    pub decisions: usize,
    pub proposals: usize,
    pub playbooks: BTreeMap<String, PlaybookScore>,
    /// Proposals whose every evidence ref resolves to a stored record version.
    pub grounding_rate: f64,
    /// Proposals routed as their kind's class requires.
    pub routing_correct_rate: f64,
    /// Decisions that asked a question instead of proposing.
    pub clarification_rate: f64,
    /// Planted (account, kind) pairs no proposal answered.
    pub missed: Vec<String>,
}

fn rate(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

pub async fn evaluate(args: &EvalArgs) -> anyhow::Result<EvalReport> {
    let now = args.now.unwrap_or_else(Utc::now);
    let generated = generate(
        &SeedOptions {
            accounts: args.accounts,
            days: 60,
            seed: args.seed,
            now,
        },
        || {},
    )?;
    let dir = tempfile::tempdir()?;
    write(dir.path(), &generated)?;
    let config: TenantConfig = toml::from_str(&tenant_toml())?;
    let offline = decide_offline(
        &[("crm".to_string(), dir.path().join("records.jsonl"))],
        Some(&dir.path().join("previous.jsonl")),
        now,
        &config,
        "eval",
    )
    .await?;
    // (account, kind) per playbook: planted, and proposed (a merged proposal counts for each
    // playbook that asked for it).
    let mut expected: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for a in &generated.expected_actions {
        expected
            .entry(a.playbook.clone())
            .or_default()
            .insert((a.account_id.clone(), a.kind.clone()));
    }
    let mut proposed: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let (mut proposals, mut grounded, mut routed, mut clarifications) = (0, 0, 0, 0);
    for decision in &offline.decisions {
        if matches!(
            decision.message,
            DecisionMessage::ClarificationRequest { .. }
        ) {
            clarifications += 1;
        }
        for p in decision.message.proposals() {
            proposals += 1;
            for playbook in p.playbook.split('+') {
                // A check-in folded into a follow-up to the same person is that check-in's
                // email.
                let kind = if p.kind == ActionKind::SendFollowUp && playbook != "meeting_prep" {
                    ActionKind::SendEmail
                } else {
                    p.kind
                };
                proposed
                    .entry(playbook.to_string())
                    .or_default()
                    .insert((decision.account_id.clone(), kind.as_str().to_string()));
            }
            let found = offline
                .store
                .versions_by_refs(&offline.tenant, &p.evidence_refs)
                .await?;
            if !p.evidence_refs.is_empty() && found.len() == p.evidence_refs.len() {
                grounded += 1;
            }
            if p.kind.requires_approval() == p.kind.is_customer_facing() {
                routed += 1;
            }
        }
    }
    let names: BTreeSet<&String> = expected.keys().chain(proposed.keys()).collect();
    let mut playbooks = BTreeMap::new();
    let mut missed = Vec::new();
    for name in names {
        let (e, p) = (
            expected.get(name).cloned().unwrap_or_default(),
            proposed.get(name).cloned().unwrap_or_default(),
        );
        let matched = e.intersection(&p).count();
        missed.extend(
            e.difference(&p)
                .map(|(account, kind)| format!("{name}: {kind} for {account}")),
        );
        playbooks.insert(
            name.clone(),
            PlaybookScore {
                expected: e.len(),
                proposed: p.len(),
                matched,
                precision: rate(matched, p.len()),
                recall: rate(matched, e.len()),
            },
        );
    }
    Ok(EvalReport {
        seed: args.seed,
        accounts: args.accounts,
        decisions: offline.decisions.len(),
        proposals,
        playbooks,
        grounding_rate: rate(grounded, proposals),
        routing_correct_rate: rate(routed, proposals),
        clarification_rate: rate(clarifications, offline.decisions.len()),
        missed,
    })
}

pub async fn run(args: &EvalArgs, json: bool) -> anyhow::Result<i32> {
    let report = evaluate(args).await?;
    if json {
        print_json(&report)?;
        return Ok(0);
    }
    println!(
        "seed {}: {} accounts, {} decisions, {} proposals; grounded {:.1} %, routed right {:.1} %, clarifications {:.1} %",
        report.seed,
        report.accounts,
        report.decisions,
        report.proposals,
        report.grounding_rate * 100.0,
        report.routing_correct_rate * 100.0,
        report.clarification_rate * 100.0
    );
    println!(
        "{:<26} {:>8} {:>8} {:>8} {:>9} {:>7}",
        "playbook", "expected", "proposed", "matched", "precision", "recall"
    );
    for (name, s) in &report.playbooks {
        println!(
            "{name:<26} {:>8} {:>8} {:>8} {:>8.1}% {:>6.1}%",
            s.expected,
            s.proposed,
            s.matched,
            s.precision * 100.0,
            s.recall * 100.0
        );
    }
    for m in &report.missed {
        println!("missed: {m}");
    }
    Ok(0)
}
