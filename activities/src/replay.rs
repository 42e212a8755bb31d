//! Replaying a decision without calling its model: the model's answer as the ledger kept it
//! is checked against the protocol again, each proposal goes through the validators again at
//! the planning checkpoint (at the decision's own time, on the snapshot it was bound to, under
//! the tenant's policy now), and is routed again. What differs from what was recorded is
//! listed; nothing is recorded. It works for every model, since no model is called.

use std::collections::BTreeMap;

use revloop_domain::decision::{DecisionMessage, ModelInputRefs, check_answer};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::{Checkpoint, GatewayOutcome, GovernancePolicy, Verdict};
use revloop_store::{ActionRecord, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::governance::dry_run;

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    NotFound(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    pub decision_id: String,
    pub model: String,
    pub message: String,
    pub proposals: usize,
    /// Empty when the replay matches the record.
    pub differences: Vec<String>,
}

impl ReplayReport {
    pub fn identical(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Where the proposal goes after the planning gateway.
fn route(kind_needs_approval: bool, aggregate: Verdict) -> &'static str {
    match (aggregate, kind_needs_approval) {
        (Verdict::Block, _) => "blocked",
        (_, true) => "approval",
        (_, false) => "execute",
    }
}

fn verdicts(outcome: &GatewayOutcome) -> BTreeMap<&str, Verdict> {
    outcome
        .results
        .iter()
        .map(|r| (r.validator.as_str(), r.result))
        .collect()
}

/// Replays `decision_id` (a `{tenant}/decision/…` workflow id) from the tenant's ledger and
/// store, under `policy`.
pub async fn replay_decision(
    store: &dyn Store,
    tenant_id: &str,
    decision_id: &str,
    policy: &GovernancePolicy,
) -> Result<ReplayReport, ReplayError> {
    let recorded = find_decision_entry(store, tenant_id, decision_id).await?;
    let model = recorded["output"]["model"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let answer = &recorded["model_answer"];
    let mut differences = Vec::new();
    let message = match DecisionMessage::from_json(answer) {
        Ok(message) => message,
        Err(violation) => {
            differences.push(format!(
                "the recorded answer no longer parses as the protocol: {violation}"
            ));
            return Ok(ReplayReport {
                decision_id: decision_id.to_string(),
                model,
                message: "unparseable".into(),
                proposals: 0,
                differences,
            });
        }
    };
    let mut actions = Vec::new();
    for p in message.proposals() {
        match store.get_action(&p.proposal_id).await? {
            Some(a) if a.tenant_id == tenant_id => actions.push(a),
            _ => differences.push(format!(
                "{}: proposed, but no action was stored for it",
                p.proposal_id
            )),
        }
    }
    // What the model was shown: the decision's account's signals (a superset of its input).
    if let Some(account) = actions.first().map(|a| a.account_id.clone()) {
        let signals = store.list_signals(tenant_id, Some(&account)).await?;
        let mut shown = ModelInputRefs::from_signals(&signals);
        // And the records memory recalled for it, and those the agent's tool results showed,
        // as the decision recorded them.
        for recalled in ["memory_refs", "shown_refs"] {
            shown.evidence_refs.extend(
                recorded[recalled]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|r| r.as_str().map(str::to_string)),
            );
        }
        for violation in check_answer(&message, &shown) {
            differences.push(format!("protocol: {violation}"));
        }
    }
    for action in &actions {
        differences.extend(compare_gateway(store, action, policy).await?);
    }
    Ok(ReplayReport {
        decision_id: decision_id.to_string(),
        model,
        message: message.name().into(),
        proposals: message.proposals().len(),
        differences,
    })
}

/// The recorded planning gateway of one action against a dry run now, validator by validator,
/// then the aggregate and the route.
async fn compare_gateway(
    store: &dyn Store,
    action: &ActionRecord,
    policy: &GovernancePolicy,
) -> Result<Vec<String>, ReplayError> {
    let id = &action.action_id;
    let Some(recorded) = action
        .validations
        .iter()
        .find(|o| o.checkpoint == Checkpoint::BeforePlanApproval)
    else {
        return Ok(vec![format!("{id}: no recorded planning validation")]);
    };
    let replayed = dry_run(
        store,
        action,
        Checkpoint::BeforePlanApproval,
        action.created_at,
        policy,
    )
    .await?;
    let mut differences = Vec::new();
    let (before, after) = (verdicts(recorded), verdicts(&replayed));
    for (validator, was) in &before {
        match after.get(validator) {
            Some(now) if now != was => {
                let reason = replayed
                    .results
                    .iter()
                    .find(|r| r.validator == *validator)
                    .map(|r| r.reason.clone())
                    .unwrap_or_default();
                differences.push(format!(
                    "{id}: {validator} {} → {} ({reason})",
                    was.as_str(),
                    now.as_str()
                ));
            }
            None => differences.push(format!("{id}: {validator} no longer runs")),
            _ => {}
        }
    }
    for validator in after.keys().filter(|v| !before.contains_key(*v)) {
        differences.push(format!("{id}: {validator} runs now and did not then"));
    }
    let needs_approval = action.needs_approval();
    let (was, now) = (
        route(needs_approval, recorded.aggregate),
        route(needs_approval, replayed.aggregate),
    );
    if was != now {
        differences.push(format!("{id}: routed to {was} then, to {now} now"));
    }
    Ok(differences)
}

/// The ledger payload of the decision's `propose_actions` entry.
async fn find_decision_entry(
    store: &dyn Store,
    tenant_id: &str,
    decision_id: &str,
) -> Result<serde_json::Value, ReplayError> {
    const PAGE: usize = 1000;
    let mut after = 0;
    loop {
        let page = store.list_entries(tenant_id, after, PAGE).await?;
        let done = page.len() < PAGE;
        after = page.last().map_or(after, |e| e.seq);
        if let Some(entry) = page.into_iter().find(|e| {
            e.workflow_id == decision_id
                && e.kind == LedgerKind::Decision
                && e.payload.get("model_answer").is_some()
        }) {
            return Ok(entry.payload);
        }
        if done {
            return Err(ReplayError::NotFound(format!(
                "decision {decision_id}: no model answer in the ledger"
            )));
        }
    }
}
