//! Precedence: any hard cap exceeded → BLOCK, else any soft cap exceeded → WARN, else ALLOW.
//! Deterministic for the same usage and caps.

use serde::{Deserialize, Serialize};

use super::caps::{BudgetCap, BudgetRequest, CounterKey};
use crate::validators::Verdict;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapResult {
    pub cap: BudgetCap,
    pub counter: CounterKey,
    /// Usage before this request.
    pub used: u64,
    /// Usage if the request is granted.
    pub would_use: u64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetDecision {
    pub verdict: Verdict,
    pub results: Vec<CapResult>,
}

impl BudgetDecision {
    /// One line on why: each cap that warned or blocked, or that every cap held.
    pub fn reason(&self) -> String {
        let exceeded: Vec<String> = self
            .results
            .iter()
            .filter(|r| r.verdict != Verdict::Allow)
            .map(|r| {
                let (which, limit) = match r.verdict {
                    Verdict::Block => ("hard", r.cap.hard),
                    _ => ("soft", r.cap.soft),
                };
                format!(
                    "BUDGET_{}: {} {} {:?} {which} cap {} exceeded ({} used, {} with this call)",
                    r.verdict.as_str(),
                    r.counter.scope_label(),
                    r.counter.period_bucket,
                    r.cap.cost_class,
                    limit.unwrap_or(0),
                    r.used,
                    r.would_use
                )
            })
            .collect();
        match (exceeded.is_empty(), self.results.len()) {
            (false, _) => exceeded.join("; "),
            (true, 0) => "no budget cap applies".to_string(),
            (true, n) => format!("within all {n} applicable caps"),
        }
    }
}

/// Judges a request against the caps that apply to it, given each counter's current usage
/// (`usage` returns 0 for a counter never used).
pub fn decide(
    caps: &[BudgetCap],
    request: &BudgetRequest,
    usage: impl Fn(&CounterKey) -> u64,
) -> BudgetDecision {
    let results: Vec<CapResult> = caps
        .iter()
        .filter(|c| c.applies_to(request))
        .map(|cap| {
            let counter = cap.counter(request);
            let used = usage(&counter);
            let would_use = used.saturating_add(request.amount);
            let verdict = if cap.hard.is_some_and(|h| would_use > h) {
                Verdict::Block
            } else if cap.soft.is_some_and(|s| would_use > s) {
                Verdict::Warn
            } else {
                Verdict::Allow
            };
            CapResult {
                cap: cap.clone(),
                counter,
                used,
                would_use,
                verdict,
            }
        })
        .collect();
    let verdict = results
        .iter()
        .map(|r| r.verdict)
        .max()
        .unwrap_or(Verdict::Allow);
    BudgetDecision { verdict, results }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::budget::{CostClass, Period, Scope};
    use proptest::prelude::*;

    fn request(account: &str) -> BudgetRequest {
        BudgetRequest {
            tenant_id: "t1".into(),
            account_id: Some(account.into()),
            plan_id: None,
            tool: Some("crm_update".into()),
            cost_class: CostClass::Expensive,
            amount: 1,
            at: "2026-03-10T12:00:00Z".parse().unwrap(),
        }
    }

    fn cap(scope: Scope, period: Period, soft: Option<u64>, hard: Option<u64>) -> BudgetCap {
        BudgetCap {
            scope,
            period,
            cost_class: CostClass::Expensive,
            soft,
            hard,
        }
    }

    #[test]
    fn soft_and_hard_boundaries() {
        let caps = [cap(Scope::Tenant, Period::Day, Some(5), Some(10))];
        let at = |used: u64| decide(&caps, &request("a1"), |_| used).verdict;
        assert_eq!(at(4), Verdict::Allow, "5 of soft 5");
        assert_eq!(at(5), Verdict::Warn, "6 of soft 5");
        assert_eq!(at(9), Verdict::Warn, "10 of hard 10");
        assert_eq!(at(10), Verdict::Block, "11 of hard 10");
    }

    #[test]
    fn a_hard_account_cap_beats_a_soft_tenant_cap() {
        // Tenant day cap soft-exceeded while the account's month cap is hard-exceeded → BLOCK.
        let caps = [
            cap(Scope::Tenant, Period::Day, Some(1), Some(100)),
            cap(Scope::Account("a1".into()), Period::Month, None, Some(3)),
        ];
        let usage = |k: &CounterKey| if k.scope == Scope::Tenant { 50 } else { 3 };
        let decision = decide(&caps, &request("a1"), usage);
        assert_eq!(decision.verdict, Verdict::Block);
        assert_eq!(
            decision
                .results
                .iter()
                .map(|r| r.verdict)
                .collect::<Vec<_>>(),
            vec![Verdict::Warn, Verdict::Block]
        );
        assert_eq!(decision.results[1].counter.period_bucket, "2026-03");
    }

    #[test]
    fn caps_of_other_scopes_and_classes_do_not_apply() {
        let caps = [
            cap(Scope::Account("other".into()), Period::Day, None, Some(0)),
            cap(Scope::Tool("crm_update".into()), Period::Day, None, Some(0)),
            BudgetCap {
                cost_class: CostClass::Cheap,
                ..cap(Scope::Tenant, Period::Day, None, Some(0))
            },
        ];
        let decision = decide(&caps, &request("a1"), |_| 0);
        assert_eq!(decision.results.len(), 1, "only the tool cap applies");
        assert_eq!(decision.verdict, Verdict::Block);
    }

    proptest! {
        /// The verdict is the worst cap result, whatever order the caps come in.
        #[test]
        fn precedence_is_order_independent(used in proptest::collection::vec(0u64..20, 3), rotate in 0usize..3) {
            let mut caps = vec![
                cap(Scope::Tenant, Period::Day, Some(5), Some(10)),
                cap(Scope::Account("a1".into()), Period::Month, Some(3), None),
                cap(Scope::Tool("crm_update".into()), Period::Day, None, Some(12)),
            ];
            let usage: BTreeMap<String, u64> = caps.iter().zip(&used).map(|(c, u)| (c.counter(&request("a1")).as_key(), *u)).collect();
            let lookup = |k: &CounterKey| usage.get(&k.as_key()).copied().unwrap_or(0);
            let first = decide(&caps, &request("a1"), lookup).verdict;
            caps.rotate_left(rotate);
            prop_assert_eq!(decide(&caps, &request("a1"), lookup).verdict, first);
        }
    }
}
