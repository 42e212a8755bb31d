//! Custom search attributes every revloop workflow carries, so the Web UI and `temporal workflow
//! list` can filter by tenant, account, trace and kind.

use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributes};

pub const TENANT_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("TenantId");
pub const ACCOUNT_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("AccountId");
pub const TRACE_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("TraceId");
pub const KIND: SearchAttributeKey<String> = SearchAttributeKey::keyword("Kind");
/// An ApprovalWorkflow's state (pending, approved, edited, rejected, expired), so the Web UI can
/// filter the backlog: `ApprovalStatus = "pending"`.
pub const APPROVAL_STATUS: SearchAttributeKey<String> =
    SearchAttributeKey::keyword("ApprovalStatus");

/// The names the Temporal server must have registered (`--search-attribute NAME=Keyword`).
pub const REQUIRED: [&str; 5] = ["TenantId", "AccountId", "TraceId", "Kind", "ApprovalStatus"];

pub fn for_workflow(
    tenant: &str,
    account: Option<&str>,
    trace: Option<&str>,
    kind: &str,
) -> SearchAttributes {
    let mut values = vec![
        TENANT_ID.value_set(tenant.to_string()),
        KIND.value_set(kind.to_string()),
    ];
    if let Some(account) = account {
        values.push(ACCOUNT_ID.value_set(account.to_string()));
    }
    if let Some(trace) = trace {
        values.push(TRACE_ID.value_set(trace.to_string()));
    }
    SearchAttributes::new(values)
}
