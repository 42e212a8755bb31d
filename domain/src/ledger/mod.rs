//! The ledger's hashing rules: entries are hash-chained per tenant, and `verify` recomputes the
//! chain and names the first broken entry. Storage is elsewhere; the rules live here so every
//! backend and the verifier agree byte for byte.

mod chain;
mod digest;
mod entry;
pub mod merkle;

pub use chain::{ChainBreak, VerifyReport, verify_chain};
pub use digest::{DIGEST_VERSION, DigestError, InclusionProof, LedgerDigest, prove, verify_proof};
pub use entry::{GENESIS_HASH, LedgerEntry, LedgerKind, NewLedgerEntry};

/// A sealed chain of `n` entries of `tenant`, for tests.
#[cfg(test)]
pub(crate) fn test_chain(tenant: &str, n: u64) -> Vec<LedgerEntry> {
    let mut prev = GENESIS_HASH.to_string();
    (1..=n)
        .map(|seq| {
            let entry = NewLedgerEntry {
                tenant_id: tenant.into(),
                idempotency_key: format!("wf/run/{seq}"),
                at: "2026-03-10T12:00:00Z".parse().unwrap(),
                trace_id: "trace".into(),
                workflow_id: format!("{tenant}/perception/x"),
                run_id: "run".into(),
                activity: "detect_signals".into(),
                kind: LedgerKind::Signal,
                snapshot_ref: None,
                payload: serde_json::json!({"n": seq}),
            }
            .seal(seq, &prev);
            prev = entry.hash.clone();
            entry
        })
        .collect()
}
