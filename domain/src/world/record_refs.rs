//! The evidence refs of an account's current records as the store holds them. A ref is the
//! record's content hash, and hashing is a canonical-JSON round trip plus a SHA-256: citing
//! the ref the store computed when it took the version saves detection doing it again for
//! every record a signal cites, on every run over an account.

use std::collections::BTreeMap;

use super::account_view::record_ref;
use crate::records::{Citable, Record};

/// Refs by record type and id, of one version of each record: the one the caller keeps.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordRefs {
    by_type: BTreeMap<&'static str, BTreeMap<String, String>>,
}

/// No refs at hand: every ref is computed.
pub static NO_REFS: RecordRefs = RecordRefs::new();

impl RecordRefs {
    pub const fn new() -> Self {
        Self {
            by_type: BTreeMap::new(),
        }
    }

    /// Keeps `evidence_ref` as the ref of `record`'s version, replacing the one its key had.
    /// The caller vouches that it is that version's ref (the store's, computed by
    /// [`record_ref`] when the version was taken).
    pub fn insert(&mut self, record: &Record, evidence_ref: String) {
        self.by_type
            .entry(record.record_type())
            .or_default()
            .insert(record.id().to_string(), evidence_ref);
    }

    pub fn get(&self, record_type: &str, id: &str) -> Option<&str> {
        self.by_type
            .get(record_type)
            .and_then(|ids| ids.get(id))
            .map(String::as_str)
    }

    /// The kept ref of this record's key, else the one computed from its content. Only for
    /// the versions whose refs were kept: a previous version of the same key has its own.
    pub fn ref_of(&self, record: &impl Citable) -> String {
        match self.get(record.record_type(), record.record_id()) {
            Some(known) => known.to_string(),
            None => record_ref(&record.to_record()),
        }
    }

    pub fn len(&self) -> usize {
        self.by_type.values().map(BTreeMap::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_line;

    fn usage(value: u32) -> Record {
        parse_line(
            1,
            &format!(
                r#"{{"type":"usage","id":"u1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","date":"2026-01-01","metric":"api_calls","value":{value}}}"#
            ),
        )
        .unwrap()
    }

    #[test]
    fn a_kept_ref_is_cited_and_an_unknown_one_is_computed() {
        let (first, second) = (usage(1), usage(2));
        assert_eq!(NO_REFS.ref_of(&first), record_ref(&first));
        let mut refs = RecordRefs::new();
        refs.insert(&first, record_ref(&first));
        assert_eq!(refs.ref_of(&first), record_ref(&first));
        // The newer version replaces the older one's ref under the same key.
        refs.insert(&second, record_ref(&second));
        assert_eq!(refs.len(), 1);
        let Record::Usage(body) = &second else {
            unreachable!()
        };
        assert_eq!(refs.ref_of(body), record_ref(&second));
        assert_ne!(record_ref(&first), record_ref(&second));
    }
}
