//! The operator's trust settings that the API and the worker must share: where tenants may
//! connect, where their secrets resolve, and the approval-token key. One struct, flattened into
//! both binaries' flags, so the two can never be configured from different lists.

#[derive(Debug, Clone, clap::Args)]
pub struct TrustArgs {
    #[command(flatten)]
    pub egress: crate::egress::EgressArgs,
    #[command(flatten)]
    pub secrets: crate::secrets::SecretsArgs,
    #[command(flatten)]
    pub approval_keys: crate::approval_token::ApprovalKeyArgs,
}
