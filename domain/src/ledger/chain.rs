//! Chain verification: recompute every link and name the first entry that does not hold.

use serde::{Deserialize, Serialize};

use super::entry::{GENESIS_HASH, LedgerEntry};
use crate::hashing::digest_of;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainBreak {
    pub seq: u64,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    pub entries_checked: u64,
    pub first_break: Option<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Verifies a tenant's entries in sequence order, starting from seq 1.
pub fn verify_chain(entries: &[LedgerEntry]) -> VerifyReport {
    let mut prev_hash = GENESIS_HASH.to_string();
    for (index, entry) in entries.iter().enumerate() {
        let expected_seq = index as u64 + 1;
        let broken = |reason: String| VerifyReport {
            entries_checked: index as u64 + 1,
            first_break: Some(ChainBreak {
                seq: entry.seq,
                reason,
            }),
        };
        if entry.seq != expected_seq {
            return broken(format!(
                "ledger entry {}: expected sequence number {expected_seq}",
                entry.seq
            ));
        }
        if entry.prev_hash != prev_hash {
            return broken(format!(
                "ledger entry {}: previous hash mismatch",
                entry.seq
            ));
        }
        if digest_of(&entry.payload) != entry.payload_digest {
            return broken(format!(
                "ledger entry {}: payload does not match its digest",
                entry.seq
            ));
        }
        if entry.compute_hash() != entry.hash {
            return broken(format!(
                "ledger entry {}: hash mismatch (entry fields were altered)",
                entry.seq
            ));
        }
        prev_hash = entry.hash.clone();
    }
    VerifyReport {
        entries_checked: entries.len() as u64,
        first_break: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chain(n: usize) -> Vec<LedgerEntry> {
        crate::ledger::test_chain("t1", n as u64)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let report = verify_chain(&chain(5));
        assert!(report.is_intact());
        assert_eq!(report.entries_checked, 5);
    }

    proptest! {
        #[test]
        fn any_altered_entry_is_the_first_break(len in 1usize..20, pick in any::<prop::sample::Index>(), what in 0u8..3) {
            let mut entries = chain(len);
            let i = pick.index(len);
            match what {
                0 => entries[i].payload = serde_json::json!({"n": "forged"}),
                1 => entries[i].activity = "forged".into(),
                _ => entries[i].trace_id = "forged".into(),
            }
            let report = verify_chain(&entries);
            prop_assert_eq!(report.first_break.map(|b| b.seq), Some(i as u64 + 1));
        }
    }

    #[test]
    fn a_removed_entry_breaks_the_sequence() {
        let mut entries = chain(4);
        entries.remove(1);
        assert_eq!(verify_chain(&entries).first_break.unwrap().seq, 3);
    }
}
