//! Every workflow and schedule id revloop uses, in one place: `{tenant}/{kind}/{key}`. Ids are
//! how Temporal dedupes starts, how signals find their workflow, and how the Web UI is searched,
//! so each kind is spelled here once and every caller (workflows, activities, API, CLI) builds
//! ids with these functions.

/// The tenant part of a revloop workflow or schedule id.
pub fn tenant_of(id: &str) -> Option<&str> {
    id.split_once('/')
        .map(|(tenant, _)| tenant)
        .filter(|t| !t.is_empty())
}

/// A perception run of one batch: `{tenant}/perception/{trace}`, and for the chunks of a file
/// after its first, `{tenant}/perception/{trace}@{first line}`.
pub fn perception(tenant: &str, trace_id: &str, first_line: Option<usize>) -> String {
    match first_line {
        Some(line) if line > 1 => format!("{tenant}/perception/{trace_id}@{line}"),
        _ => format!("{tenant}/perception/{trace_id}"),
    }
}

/// The perception runs a connector's schedule starts (Temporal appends the start time).
pub fn pull_perception(tenant: &str, connector_id: &str) -> String {
    format!("{tenant}/perception/{connector_id}")
}

/// A connector's pull schedule.
pub fn connector_schedule(tenant: &str, connector_id: &str) -> String {
    format!("{tenant}/schedule/{connector_id}")
}

/// The prefix of every connector schedule of a tenant.
pub fn connector_schedule_prefix(tenant: &str) -> String {
    format!("{tenant}/schedule/")
}

/// The account's long-lived workflow.
pub fn account(tenant: &str, account_id: &str) -> String {
    format!("{tenant}/account/{account_id}")
}

/// The account's `n`th decision (`offline` for `revloop decide`'s, which no workflow runs).
pub fn decision(tenant: &str, account_id: &str, n: impl std::fmt::Display) -> String {
    format!("{tenant}/decision/{account_id}-{n}")
}

/// The prefix of every decision of a tenant.
pub fn decision_prefix(tenant: &str) -> String {
    format!("{tenant}/decision/")
}

pub fn approval(tenant: &str, action_id: &str) -> String {
    format!("{tenant}/approval/{action_id}")
}

pub fn action(tenant: &str, action_id: &str) -> String {
    format!("{tenant}/action/{action_id}")
}

pub fn undo(tenant: &str, action_id: &str) -> String {
    format!("{tenant}/undo/{action_id}")
}

pub fn plan(tenant: &str, plan_id: &str) -> String {
    format!("{tenant}/plan/{plan_id}")
}

/// The tenant's ledger-digest schedule, and the prefix of the runs it starts.
pub fn ledger_digest(tenant: &str) -> String {
    format!("{tenant}/ledger-digest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_starts_with_its_tenant_and_kinds_do_not_collide() {
        let ids = [
            perception("acme", "t-1", None),
            perception("acme", "t-1", Some(70_001)),
            pull_perception("acme", "sf"),
            connector_schedule("acme", "sf"),
            account("acme", "a-1"),
            decision("acme", "a-1", 3),
            approval("acme", "act-1"),
            action("acme", "act-1"),
            undo("acme", "act-1"),
            plan("acme", "pl-1"),
            ledger_digest("acme"),
        ];
        for id in &ids {
            assert_eq!(tenant_of(id), Some("acme"), "{id}");
        }
        let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        // A connector named like the digest schedule cannot take its id.
        assert_ne!(
            connector_schedule("acme", "ledger-digest"),
            ledger_digest("acme")
        );
        assert!(connector_schedule("acme", "sf").starts_with(&connector_schedule_prefix("acme")));
        assert!(decision("acme", "a-1", 3).starts_with(&decision_prefix("acme")));
    }

    #[test]
    fn the_first_chunk_of_a_file_has_the_plain_id() {
        assert_eq!(
            perception("acme", "t", Some(1)),
            perception("acme", "t", None)
        );
        assert_eq!(perception("acme", "t", Some(2)), "acme/perception/t@2");
    }

    #[test]
    fn no_tenant_no_tenant_of() {
        assert_eq!(tenant_of("/approval/x"), None);
        assert_eq!(tenant_of("plain"), None);
    }
}
