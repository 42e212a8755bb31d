//! The validator gateway as the activities run it: gather what the validators may look at
//! (facts about the cited evidence, the planning snapshot by its ref, the tenant's policy), run
//! every validator, and write each result and the aggregate to the ledger.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::{
    self, Checkpoint, EvidenceFact, GatewayOutcome, GovernancePolicy, ValidationContext, Verdict,
    run_gateway,
};
use revloop_domain::world::AccountView;
use revloop_store::{ActionRecord, ActionStatus, Store, StoreError};
use serde_json::json;

use super::LedgerScope;

/// Loads the snapshot planning used; `None` when it is missing or unreadable, which the
/// contradiction validator turns into a BLOCK.
async fn load_snapshot(
    store: &dyn Store,
    tenant_id: &str,
    snapshot_ref: Option<&str>,
) -> Result<Option<AccountView>, StoreError> {
    let Some(key) = snapshot_ref else {
        return Ok(None);
    };
    let artifact = store.get_artifact(tenant_id, key).await?;
    Ok(artifact.and_then(|a| serde_json::from_slice(&a.content).ok()))
}

/// Runs the gateway on one action at one checkpoint, records every result on the action and in
/// the ledger (one entry per validator, then the aggregate), and marks a BLOCKed action blocked.
/// A retried call finds its entries by key and records nothing twice.
pub async fn validate_action(
    store: &dyn Store,
    scope: &LedgerScope,
    action: &mut ActionRecord,
    checkpoint: Checkpoint,
    now: DateTime<Utc>,
    policy: &GovernancePolicy,
) -> Result<GatewayOutcome, StoreError> {
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
    let snapshot = load_snapshot(store, &action.tenant_id, action.snapshot_ref.as_deref()).await?;
    let vctx = ValidationContext {
        checkpoint,
        now,
        proposal: &action.proposal,
        evidence: &facts,
        snapshot: snapshot.as_ref(),
        snapshot_ref: action.snapshot_ref.as_deref(),
        policy,
    };
    let outcome = run_gateway(&validators::builtin(), &vctx);
    crate::metrics::gateway(&outcome);
    let mut seqs = BTreeMap::new();
    let base = format!("/{}/{}", action.action_id, checkpoint.as_str());
    for r in &outcome.results {
        let payload = json!({
            "action_id": action.action_id,
            "checkpoint": checkpoint,
            "validator": r.validator,
            "result": r.result,
            "reason": r.reason,
            "details": r.details,
        });
        let seq = scope
            .append(
                store,
                &format!("{base}/{}", r.validator),
                LedgerKind::Validation,
                action.snapshot_ref.clone(),
                &payload,
            )
            .await?;
        seqs.insert(format!("{}/{}", checkpoint.as_str(), r.validator), seq);
    }
    let aggregate = json!({
        "action_id": action.action_id,
        "checkpoint": checkpoint,
        "aggregate": outcome.aggregate,
        "results": outcome.results.iter().map(|r| (r.validator.clone(), r.result)).collect::<BTreeMap<_, _>>(),
    });
    let seq = scope
        .append(
            store,
            &format!("{base}/aggregate"),
            LedgerKind::Validation,
            action.snapshot_ref.clone(),
            &aggregate,
        )
        .await?;
    seqs.insert(format!("{}/aggregate", checkpoint.as_str()), seq);
    // A retried attempt must not record the same gateway run twice.
    if !action.validations.contains(&outcome) {
        action.validations.push(outcome.clone());
    }
    action.ledger_seqs.extend(seqs);
    if outcome.aggregate == Verdict::Block {
        action.status = ActionStatus::Blocked;
        let first_block = outcome.results.iter().find(|r| r.result == Verdict::Block);
        crate::metrics::plan_outcome(
            "aborted",
            first_block.map_or("gateway", |r| r.validator.as_str()),
        );
    }
    action.updated_at = now;
    Ok(outcome)
}
