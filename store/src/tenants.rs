//! Tenants and their configuration (signal thresholds, governance policy).

use async_trait::async_trait;
use revloop_domain::budget::BudgetCap;
use revloop_domain::decision::approvers::ApprovalConfig;
use revloop_domain::decision::{DecisionConfig, PlaybookConfig};
use revloop_domain::signals::SignalConfig;
use revloop_domain::validators::GovernancePolicy;
use revloop_domain::world::state::StateConfig;
use serde::{Deserialize, Serialize};

use crate::StoreResult;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantConfig {
    pub signals: SignalConfig,
    pub governance: GovernancePolicy,
    /// Budget caps by scope × period × cost class; none means unlimited.
    pub budgets: Vec<BudgetCap>,
    /// Which sources the world state trusts, in what order, and their TTLs.
    pub world: StateConfig,
    /// Playbooks turned off, or proposing an internal task instead of their own action.
    pub playbooks: PlaybookConfig,
    /// Who may approve what (the approval web page, CLI and API mint tokens only for them).
    pub approval: ApprovalConfig,
    /// Which decision model answers (`[decision] model`).
    pub decision: DecisionConfig,
    /// Where approval notices go (`[notify]`).
    pub notify: revloop_domain::notify_config::NotifyConfig,
    /// The mailer customer emails go through (`[mail]`); none: they are queued in revloop's
    /// outbox.
    pub mail: Option<revloop_domain::mail_config::MailConfig>,
    /// The CRM connector actions write back through (`[crm]`); none: CRM actions are kept in
    /// revloop's outbox.
    pub crm: Option<revloop_domain::crm_config::CrmConfig>,
    /// Which actions run without a person (`[writeback]`): CRM mutations wait for approval
    /// unless the tenant lets confident ones run.
    pub writeback: revloop_domain::decision::writeback::WritebackConfig,
    /// How multi-step plans are approved (`[plans] approval`: `whole` or `per_step`).
    pub plans: revloop_domain::decision::plan::PlanConfig,
    /// Which service identities may call the write tools (`[tools] agents`).
    pub tools: revloop_domain::tools_config::ToolsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub tenant_id: String,
    pub name: String,
    pub config: TenantConfig,
}

#[async_trait]
pub trait TenantStore {
    /// Creates the tenant if absent; an existing tenant is left as it is.
    async fn ensure_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant>;
    async fn get_tenant(&self, tenant_id: &str) -> StoreResult<Option<Tenant>>;
    /// Creates or replaces the tenant (its name and config).
    async fn put_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
}
