//! The planning snapshot: the account's facts a decision was made on, stored once as an
//! immutable artifact. The proposals, validators and approval that follow all bind to exactly
//! this state by its key, even if new records arrive meanwhile.

use revloop_domain::hashing::canonical_json;
use revloop_domain::world::{AccountFacts, AccountView};
use revloop_store::{Artifact, Store, StoreError};

/// The content type of stored planning snapshots: [`AccountFacts`].
pub const FACTS_CONTENT_TYPE: &str = "application/vnd.revloop.account-facts+json";
/// Snapshots stored before decisions read the world: the latest record of each kind.
pub const RECORDS_CONTENT_TYPE: &str = "application/vnd.revloop.account-view+json";

/// Stores the facts; the same facts give the same key.
pub async fn store_snapshot(
    store: &dyn Store,
    tenant_id: &str,
    facts: &AccountFacts,
) -> Result<Artifact, StoreError> {
    let artifact = Artifact::new(tenant_id, FACTS_CONTENT_TYPE, canonical_json(facts));
    store.put_artifact(&artifact).await?;
    Ok(artifact)
}

/// The facts a stored snapshot holds. A snapshot of records (a decision that started before
/// decisions read the world) is read as those records' facts, as of their newest update.
/// `None` when the content is neither.
pub fn decode(artifact: &Artifact) -> Option<AccountFacts> {
    match artifact.content_type.as_str() {
        FACTS_CONTENT_TYPE => serde_json::from_slice(&artifact.content).ok(),
        RECORDS_CONTENT_TYPE => {
            let view: AccountView = serde_json::from_slice(&artifact.content).ok()?;
            let records: Vec<_> = view.records().collect();
            let as_of = records.iter().map(|r| r.updated_at()).max()?;
            let account_id = view.account_id.as_ref()?.to_string();
            Some(AccountFacts::of_records(&account_id, &records, &[], as_of))
        }
        _ => None,
    }
}

/// Loads the snapshot by its key; `None` when it is missing or unreadable.
pub async fn load_snapshot(
    store: &dyn Store,
    tenant_id: &str,
    key: &str,
) -> Result<Option<AccountFacts>, StoreError> {
    Ok(store
        .get_artifact(tenant_id, key)
        .await?
        .as_ref()
        .and_then(decode))
}

#[cfg(test)]
mod tests {
    use revloop_domain::AccountId;
    use revloop_domain::records::parse_line;

    use super::*;

    #[test]
    fn a_snapshot_of_records_reads_as_their_facts() {
        let contact = parse_line(
            1,
            r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada","email":"ada@acme.test","role":"champion"}"#,
        )
        .unwrap();
        let view = AccountView::from_records(AccountId::parse("acme").unwrap(), vec![contact]);
        let old = Artifact::new("t1", RECORDS_CONTENT_TYPE, canonical_json(&view));
        let facts = decode(&old).expect("an old snapshot still loads");
        assert_eq!(facts.contacts()[0].email.as_deref(), Some("ada@acme.test"));

        let new = Artifact::new("t1", FACTS_CONTENT_TYPE, canonical_json(&facts));
        assert_eq!(decode(&new), Some(facts));
        assert_eq!(
            decode(&Artifact::new("t1", "text/plain", b"{}".to_vec())),
            None
        );
    }
}
