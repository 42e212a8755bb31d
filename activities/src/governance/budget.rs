//! The budget service: every model call, tool call and connector fetch reserves its cost
//! before it runs and settles after. It only decides (ALLOW, WARN, BLOCK); it never schedules,
//! defers or re-orders work. Each decision is ledgered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use revloop_domain::budget::{BudgetCap, BudgetRequest, CostClass, decide};
use revloop_domain::ledger::LedgerKind;
use revloop_domain::validators::Verdict;
use revloop_store::{BudgetRecord, Reservation, Store, StoreError};
use serde_json::json;

use super::LedgerScope;

/// One operation asking for budget.
#[derive(Debug, Clone)]
pub struct BudgetCall {
    /// `model:{name}`, `tool:{action kind}` or `fetch:{connector}`.
    pub operation: String,
    pub cost_class: CostClass,
    pub account_id: Option<String>,
    /// The decision (plan) the operation belongs to.
    pub plan_id: Option<String>,
    pub tool: Option<String>,
    pub amount: u64,
    pub at: DateTime<Utc>,
}

/// Reserves the call's cost on every counter a cap of the tenant names, atomically (all or
/// none), and judges it: a hard cap that would be exceeded → BLOCK (nothing reserved), else a
/// soft cap → WARN, else ALLOW. A retried call finds its reservation and decides the same.
pub async fn reserve_budget(
    store: &dyn Store,
    scope: &LedgerScope,
    caps: &[BudgetCap],
    call: &BudgetCall,
) -> Result<BudgetRecord, StoreError> {
    let request = BudgetRequest {
        tenant_id: scope.tenant_id.clone(),
        account_id: call.account_id.clone(),
        plan_id: call.plan_id.clone(),
        tool: call.tool.clone(),
        cost_class: call.cost_class,
        amount: call.amount,
        at: call.at,
    };
    let reservation_id = format!("{}/budget/{}", scope.key_prefix, call.operation);
    // Caps sharing a counter (a soft and a hard cap on one scope) reserve it once, within the
    // tightest hard cap.
    let mut counters: BTreeMap<String, (revloop_domain::budget::CounterKey, Option<u64>)> =
        BTreeMap::new();
    for cap in caps.iter().filter(|c| c.applies_to(&request)) {
        let key = cap.counter(&request);
        let entry = counters.entry(key.as_key()).or_insert((key, None));
        entry.1 = match (entry.1, cap.hard) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
    let (granted, usage_before) = if counters.is_empty() {
        (true, BTreeMap::new())
    } else {
        let record = store
            .reserve(&Reservation {
                tenant_id: scope.tenant_id.clone(),
                reservation_id: reservation_id.clone(),
                counters: counters.into_values().collect(),
                amount: call.amount,
            })
            .await?;
        (record.granted, record.usage_before)
    };
    let mut decision = decide(caps, &request, |k| {
        usage_before.get(&k.as_key()).copied().unwrap_or(0)
    });
    if !granted {
        // The store refused under a hard cap: nothing was reserved, whatever the arithmetic.
        decision.verdict = Verdict::Block;
    }
    let payload = json!({
        "operation": call.operation,
        "reservation_id": reservation_id,
        "cost_class": call.cost_class,
        "amount": call.amount,
        "decision": decision,
    });
    let ledger_seq = scope
        .append(
            store,
            &format!("/budget/{}", call.operation),
            LedgerKind::Budget,
            None,
            &payload,
        )
        .await?;
    let record = BudgetRecord {
        operation: call.operation.clone(),
        reservation_id,
        cost_class: call.cost_class,
        decision,
        ledger_seq,
    };
    crate::metrics::budget(&scope.tenant_id, &record, call.amount);
    Ok(record)
}

/// Settles a granted reservation at what the operation really used (0 when it failed, which
/// gives the budget back). Blocked or cap-less calls reserved nothing and settle nothing.
pub async fn settle_budget(
    store: &dyn Store,
    tenant_id: &str,
    record: &BudgetRecord,
    actual: u64,
) -> Result<(), StoreError> {
    if record.decision.verdict == Verdict::Block || record.decision.results.is_empty() {
        return Ok(());
    }
    store
        .settle(tenant_id, &record.reservation_id, actual)
        .await
        .map(|_| ())
}
