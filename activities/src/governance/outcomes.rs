//! Outcome capture: one record per (action, what happened), stored and ledgered; deal closes
//! found in CRM changes are linked back to the actions that preceded them.

use revloop_domain::hashing::short_id;
use revloop_domain::ledger::LedgerKind;
use revloop_domain::signals::{Signal, SignalType};
use revloop_store::{ActionRecord, Outcome, Store, StoreError};

use super::LedgerScope;

/// Records the outcome once (by its id) and ledgers it; returns whether it was new.
pub async fn record_outcome(
    store: &dyn Store,
    scope: &LedgerScope,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let (stored, created) = store.record_outcome(outcome).await?;
    // Keyed by the outcome id: one entry per outcome, however many one activity records.
    scope
        .append(
            store,
            &format!("/outcome/{}", stored.outcome_id),
            LedgerKind::Outcome,
            None,
            &stored,
        )
        .await?;
    Ok(created)
}

/// Records that an action's plan ended blocked, and by what (a validator or the budget).
pub async fn record_blocked(
    store: &dyn Store,
    scope: &LedgerScope,
    action: &ActionRecord,
    reason: Option<String>,
) -> Result<bool, StoreError> {
    let outcome = Outcome {
        tenant_id: action.tenant_id.clone(),
        outcome_id: short_id("out", &[&action.action_id, "blocked"]),
        action_id: action.action_id.clone(),
        account_id: action.account_id.clone(),
        kind: "blocked".to_string(),
        diff: None,
        reason,
        actor: None,
        at: action.updated_at,
    };
    record_outcome(store, scope, &outcome).await
}

/// Links a deal's close back to the actions that preceded it: for each signal that an
/// opportunity reached `closed_won` or `closed_lost`, every action on that account proposed
/// before the signal gets a `won` or `lost` outcome (once per action and opportunity).
/// Returns how many outcomes were new.
pub async fn link_deal_outcomes(
    store: &dyn Store,
    scope: &LedgerScope,
    signals: &[Signal],
) -> Result<usize, StoreError> {
    let mut linked = 0;
    let mut actions = None;
    for signal in signals {
        if signal.signal_type != SignalType::OpportunityStageChanged {
            continue;
        }
        let kind = match signal.details["to"].as_str() {
            Some("closed_won") => "won",
            Some("closed_lost") => "lost",
            _ => continue,
        };
        let opportunity = signal.details["opportunity_id"]
            .as_str()
            .unwrap_or_default();
        let account = signal.account_id.as_str();
        if actions.is_none() {
            actions = Some(store.list_actions(&scope.tenant_id, None).await?);
        }
        for action in actions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter(|a| a.account_id == account && a.created_at <= signal.detected_at)
        {
            let outcome = Outcome {
                tenant_id: scope.tenant_id.clone(),
                outcome_id: short_id("out", &[&action.action_id, kind, opportunity]),
                action_id: action.action_id.clone(),
                account_id: action.account_id.clone(),
                kind: kind.to_string(),
                diff: None,
                reason: Some(format!(
                    "opportunity {opportunity} moved from {} to {} (signal {})",
                    signal.details["from"].as_str().unwrap_or("?"),
                    signal.details["to"].as_str().unwrap_or("?"),
                    signal.signal_id
                )),
                actor: None,
                at: signal.detected_at,
            };
            linked += usize::from(record_outcome(store, scope, &outcome).await?);
        }
    }
    Ok(linked)
}
