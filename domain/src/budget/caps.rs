//! What a budget limits and how a request maps onto counters.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};

/// Every tool call, model call and connector fetch is tagged with one; decision-model calls
/// are EXPENSIVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CostClass {
    Cheap,
    Medium,
    Expensive,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "scope", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Tenant,
    Account(String),
    Plan(String),
    Tool(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    Month,
}

impl Period {
    /// The bucket an instant falls in: `2026-03-10` for days, `2026-03` for months (UTC).
    pub fn bucket(self, at: DateTime<Utc>) -> String {
        match self {
            Period::Day => at.date_naive().to_string(),
            Period::Month => format!("{:04}-{:02}", at.year(), at.month()),
        }
    }
}

/// One cap: how many operations of a cost class a scope may do per period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetCap {
    #[serde(flatten)]
    pub scope: Scope,
    pub period: Period,
    pub cost_class: CostClass,
    /// Above this: WARN.
    #[serde(default)]
    pub soft: Option<u64>,
    /// Above this: BLOCK, and nothing is reserved.
    #[serde(default)]
    pub hard: Option<u64>,
}

/// An operation asking for budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetRequest {
    pub tenant_id: String,
    pub account_id: Option<String>,
    pub plan_id: Option<String>,
    pub tool: Option<String>,
    pub cost_class: CostClass,
    pub amount: u64,
    pub at: DateTime<Utc>,
}

/// The usage counter a cap reads for a request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CounterKey {
    pub tenant_id: String,
    pub scope: Scope,
    pub period_bucket: String,
    pub cost_class: CostClass,
}

impl CounterKey {
    /// A stable text form (the store's item key).
    /// `tenant`, `account:{id}`, `plan:{id}` or `tool:{name}`.
    pub fn scope_label(&self) -> String {
        match &self.scope {
            Scope::Tenant => "tenant".to_string(),
            Scope::Account(id) => format!("account:{id}"),
            Scope::Plan(id) => format!("plan:{id}"),
            Scope::Tool(name) => format!("tool:{name}"),
        }
    }

    pub fn as_key(&self) -> String {
        let scope = self.scope_label();
        format!(
            "{}|{scope}|{}|{:?}",
            self.tenant_id, self.period_bucket, self.cost_class
        )
    }
}

impl BudgetCap {
    /// Whether this cap limits the request.
    pub fn applies_to(&self, request: &BudgetRequest) -> bool {
        self.cost_class == request.cost_class
            && match &self.scope {
                Scope::Tenant => true,
                Scope::Account(id) => request.account_id.as_ref() == Some(id),
                Scope::Plan(id) => request.plan_id.as_ref() == Some(id),
                Scope::Tool(name) => request.tool.as_ref() == Some(name),
            }
    }

    pub fn counter(&self, request: &BudgetRequest) -> CounterKey {
        CounterKey {
            tenant_id: request.tenant_id.clone(),
            scope: self.scope.clone(),
            period_bucket: self.period.bucket(request.at),
            cost_class: self.cost_class,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_read_from_tenant_config_and_refuse_unknown_keys() {
        let tenant: BudgetCap = serde_json::from_value(serde_json::json!({
            "scope": "tenant", "period": "day", "cost_class": "CHEAP", "soft": 0
        }))
        .unwrap();
        assert_eq!(tenant.scope, Scope::Tenant);
        assert_eq!((tenant.soft, tenant.hard), (Some(0), None));
        let tool: BudgetCap = serde_json::from_value(serde_json::json!({
            "scope": "tool", "id": "send_follow_up", "period": "month",
            "cost_class": "MEDIUM", "hard": 100
        }))
        .unwrap();
        assert_eq!(tool.scope, Scope::Tool("send_follow_up".into()));
        let typo = serde_json::from_value::<BudgetCap>(serde_json::json!({
            "scope": "tenant", "period": "day", "cost_class": "CHEAP", "sfot": 1
        }));
        assert!(typo.is_err(), "an unknown key is refused");
    }
}
