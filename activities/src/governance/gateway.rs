//! The validator gateway as the activities run it: gather what the validators may look at
//! (facts about the cited evidence, the planning snapshot by its ref, the tenant's policy), run
//! every validator, and write each result and the aggregate to the ledger.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::records::{Contact, Record, RecordKey};
use revloop_domain::validators::{
    self, Checkpoint, EvidenceFact, GatewayOutcome, GovernancePolicy, ReadRequest, Subject,
    ValidationContext, Verdict, run_gateway,
};
use revloop_domain::world::AccountFacts;
use revloop_store::{ActionRecord, ActionStatus, Store, StoreError};
use serde_json::json;

use super::LedgerScope;

/// Loads the snapshot planning used; `None` when it is missing or unreadable, which the
/// contradiction validator turns into a BLOCK.
async fn load_snapshot(
    store: &dyn Store,
    tenant_id: &str,
    snapshot_ref: Option<&str>,
) -> Result<Option<AccountFacts>, StoreError> {
    let Some(key) = snapshot_ref else {
        return Ok(None);
    };
    crate::snapshot::load_snapshot(store, tenant_id, key).await
}

/// The latest record of the action's recipient contact, with its evidence ref.
async fn current_recipient(
    store: &dyn Store,
    action: &ActionRecord,
) -> Result<Option<(Contact, String)>, StoreError> {
    let Some(contact_id) = action.proposal.params["contact_id"].as_str() else {
        return Ok(None);
    };
    let key = RecordKey {
        record_type: "contact".into(),
        id: contact_id.to_string(),
    };
    Ok(store
        .latest_version(&action.tenant_id, &key)
        .await?
        .and_then(|v| match v.record {
            Record::Contact(c) => Some((c, v.evidence_ref)),
            _ => None,
        }))
}

/// What the validators know of the action's cited evidence: its source and age.
async fn evidence_facts(
    store: &dyn Store,
    action: &ActionRecord,
) -> Result<Vec<EvidenceFact>, StoreError> {
    let mut facts = Vec::new();
    for evidence_ref in &action.proposal.evidence_refs {
        if let Some(v) = store
            .version_by_ref(&action.tenant_id, evidence_ref)
            .await?
        {
            facts.push(EvidenceFact {
                evidence_ref: evidence_ref.clone(),
                source: v.trust_class,
                observed_at: v.observed_at,
            });
        }
    }
    Ok(facts)
}

/// The gateway on one action at one planning-side checkpoint, recording nothing: what
/// `revloop decision replay` compares with what was recorded.
pub async fn dry_run(
    store: &dyn Store,
    action: &ActionRecord,
    checkpoint: Checkpoint,
    now: DateTime<Utc>,
    policy: &GovernancePolicy,
) -> Result<GatewayOutcome, StoreError> {
    let facts = evidence_facts(store, action).await?;
    let snapshot = load_snapshot(store, &action.tenant_id, action.snapshot_ref.as_deref()).await?;
    let vctx = ValidationContext {
        checkpoint,
        now,
        subject: Subject::Proposal(&action.proposal),
        evidence: &facts,
        snapshot: snapshot.as_ref(),
        snapshot_ref: action.snapshot_ref.as_deref(),
        policy,
    };
    Ok(run_gateway(&validators::builtin(), &vctx))
}

/// Runs the gateway on one action at each checkpoint in turn (stopping after one that blocks:
/// the later ones guard a step that will not happen), records every result on the action and
/// in the ledger (one entry per validator, then the aggregate), and marks a BLOCKed action
/// blocked with a `blocked` outcome. The evidence facts and the planning snapshot are read once.
/// A retried call finds its entries by key and records nothing twice.
pub async fn validate_action(
    store: &dyn Store,
    scope: &LedgerScope,
    action: &mut ActionRecord,
    checkpoints: &[Checkpoint],
    now: DateTime<Utc>,
    policy: &GovernancePolicy,
) -> Result<Vec<GatewayOutcome>, StoreError> {
    let facts = evidence_facts(store, action).await?;
    let snapshot = load_snapshot(store, &action.tenant_id, action.snapshot_ref.as_deref()).await?;
    let mut outcomes = Vec::new();
    for &checkpoint in checkpoints {
        let vctx = ValidationContext {
            checkpoint,
            now,
            subject: Subject::Proposal(&action.proposal),
            evidence: &facts,
            snapshot: snapshot.as_ref(),
            snapshot_ref: action.snapshot_ref.as_deref(),
            policy,
        };
        let mut outcome = run_gateway(&validators::builtin(), &vctx);
        if checkpoint == Checkpoint::BeforeExternalWriteback {
            // The recipient as they are now, not as planning saw them.
            let current = current_recipient(store, action).await?;
            let checked = validators::recipient_current::check(
                &action.proposal,
                current.as_ref().map(|(c, r)| (c, r.as_str())),
            );
            outcome.aggregate = outcome.aggregate.max(checked.result);
            outcome.results.push(checked);
        }
        crate::metrics::gateway(&outcome);
        let seqs = ledger_outcome(
            store,
            scope,
            &outcome,
            ("action_id", &action.action_id),
            action.snapshot_ref.clone(),
        )
        .await?;
        // A retried attempt must not record the same gateway run twice.
        if !action.validations.contains(&outcome) {
            action.validations.push(outcome.clone());
        }
        action.ledger_seqs.extend(seqs);
        action.updated_at = now;
        let blocked = outcome.aggregate == Verdict::Block;
        if blocked {
            action.status = ActionStatus::Blocked;
            let first_block = outcome.first_block();
            let attribution = first_block.map_or("gateway", |r| r.validator.as_str());
            crate::metrics::plan_outcome("aborted", attribution);
            // Why the plan ended here is an outcome of its own.
            let reason = first_block
                .map(|r| format!("{} at {}: {}", r.validator, checkpoint.as_str(), r.reason));
            super::outcomes::record_blocked(store, scope, action, reason).await?;
        }
        outcomes.push(outcome);
        if blocked {
            break;
        }
    }
    Ok(outcomes)
}

/// Writes one ledger entry per validator result and one for the aggregate, keyed under the
/// subject and checkpoint; returns their sequence numbers by `{checkpoint}/{validator}` and
/// `{checkpoint}/aggregate`.
async fn ledger_outcome(
    store: &dyn Store,
    scope: &LedgerScope,
    outcome: &GatewayOutcome,
    (subject_field, subject_id): (&str, &str),
    snapshot_ref: Option<String>,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let checkpoint = outcome.checkpoint.as_str();
    let base = format!("/{subject_id}/{checkpoint}");
    let mut seqs = BTreeMap::new();
    for r in &outcome.results {
        let payload = json!({
            subject_field: subject_id,
            "checkpoint": checkpoint,
            "validator": r.validator,
            "result": r.result,
            "reason": r.reason,
            "details": r.details,
        });
        let suffix = format!("{base}/{}", r.validator);
        let seq = scope
            .append(
                store,
                &suffix,
                LedgerKind::Validation,
                snapshot_ref.clone(),
                &payload,
            )
            .await?;
        seqs.insert(format!("{checkpoint}/{}", r.validator), seq);
    }
    let results: BTreeMap<&str, Verdict> = outcome
        .results
        .iter()
        .map(|r| (r.validator.as_str(), r.result))
        .collect();
    let aggregate = json!({
        subject_field: subject_id,
        "checkpoint": checkpoint,
        "aggregate": outcome.aggregate,
        "results": results,
    });
    let suffix = format!("{base}/aggregate");
    let seq = scope
        .append(
            store,
            &suffix,
            LedgerKind::Validation,
            snapshot_ref,
            &aggregate,
        )
        .await?;
    seqs.insert(format!("{checkpoint}/aggregate"), seq);
    Ok(seqs)
}

/// Runs the gateway before an expensive read (a pull from a source) and ledgers every result.
/// Only compliance has something to judge in a read; the others say they do not apply.
pub async fn validate_read(
    store: &dyn Store,
    scope: &LedgerScope,
    read: &ReadRequest,
    now: DateTime<Utc>,
    policy: &GovernancePolicy,
) -> Result<GatewayOutcome, StoreError> {
    let vctx = ValidationContext {
        checkpoint: Checkpoint::BeforeExpensiveRead,
        now,
        subject: Subject::Read(read),
        evidence: &[],
        snapshot: None,
        snapshot_ref: None,
        policy,
    };
    let outcome = run_gateway(&validators::builtin(), &vctx);
    crate::metrics::gateway(&outcome);
    ledger_outcome(
        store,
        scope,
        &outcome,
        ("connector_id", &read.connector_id),
        None,
    )
    .await?;
    Ok(outcome)
}
