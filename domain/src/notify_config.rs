//! The tenant's `[notify]` table: where approval notices (reminders, escalations) go.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// A Slack-compatible incoming webhook. Its URL is a credential, so only a reference to it
    /// is kept (`env:REVLOOP_TENANT_SECRET_<tenant>__<NAME>` or `file:<name>`).
    pub webhook_secret_ref: Option<String>,
    /// The base address of the approval pages, for links in notices.
    pub page_url: Option<String>,
}
