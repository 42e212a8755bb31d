//! The store conformance suite: every backend must pass every check here.
//!
//! A backend's tests instantiate it with `store_conformance!(|| async { (store, guard) })`,
//! where the guard keeps whatever the store needs alive (a temp dir, a local server) for the
//! test.

mod checks;

pub use checks::*;

#[macro_export]
macro_rules! store_conformance {
    ($factory:expr) => {
        $crate::store_conformance!(@tests $factory;
            evidence_is_content_addressed,
            record_versions_are_conditional,
            signals_are_stored_once,
            quarantine_keeps_every_line,
            ledger_appends_once_per_key_and_chains,
            ledger_chains_are_per_tenant,
            concurrent_ledger_appends_never_fork,
            actions_round_trip_and_stay_in_their_tenant,
            effects_happen_once,
            tenants_are_created_once,
            artifacts_are_content_addressed,
            connectors_are_registered_per_tenant,
            push_deliveries_are_claimed_once,
            budget_reservations_are_all_or_nothing,
            concurrent_reservations_never_overspend,
            outcomes_are_recorded_once_per_id,
            snapshots_are_content_addressed_per_entity,
            account_revision_grows_with_every_write_to_the_account,
            graph_edges_are_per_tenant_and_found_from_either_end,
            questions_are_answered_once_or_expire,
            plans_round_trip_and_live_plans_hold_their_claims,
            tool_runs_are_recorded_once_per_id_and_stay_in_their_tenant,
            ledger_digests_are_write_once_per_range_and_tenant,
            version_batches_are_written_all_or_nothing,
            memory_vectors_are_replaced_per_record_and_stay_in_their_tenant
        );
    };
    (@tests $factory:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = ($factory)().await;
                $crate::conformance::$name(store).await;
            }
        )*
    };
}
