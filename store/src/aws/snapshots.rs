use std::collections::BTreeSet;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use revloop_domain::world::state::EntityRef;

use super::items::{Item, key, n, number, s, stored_stamp, string, to_json};
use super::revisions::{Counter, REVISION_SK};
use super::tenants::TENANT_SK;
use super::{AwsStore, account_pk, errors::corrupt, tenant_pk};
use crate::StoreResult;
use crate::snapshots::{AccountRevision, EntitySnapshot, SnapshotRef, SnapshotStore};

/// A snapshot is the item `T#{tenant}#SNAP#{entity}` / `H#{state hash}` (the conditional put
/// stores each state once per entity), plus a reference to it in its account's partition,
/// `SNAP#{entity}#{state hash}`, so an account's snapshots list in one query.
fn snapshot_pk(tenant: &str, entity: &EntityRef) -> String {
    format!("T#{tenant}#SNAP#{entity}")
}

#[async_trait]
impl SnapshotStore for AwsStore {
    async fn put_snapshots(&self, snapshots: &[EntitySnapshot]) -> StoreResult<usize> {
        let news = stream::iter(snapshots.iter().cloned())
            .map(|snapshot| async move {
                let stamp = stored_stamp();
                let mut item = key(
                    snapshot_pk(&snapshot.tenant_id, &snapshot.entity),
                    format!("H#{}", snapshot.state_hash),
                );
                item.insert("stored".into(), n(stamp));
                self.set_body(&snapshot.tenant_id, &mut item, to_json(&snapshot)?)
                    .await?;
                let new = self.put_new(self.main(), item).await?;
                // The account's reference is written whether or not the snapshot was new, so
                // a retry after a crash between the two puts completes it.
                if !snapshot.account_id.is_empty() {
                    let mut reference = key(
                        account_pk(&snapshot.tenant_id, &snapshot.account_id),
                        format!("SNAP#{}#{}", snapshot.entity, snapshot.state_hash),
                    );
                    reference.insert("entity".into(), s(snapshot.entity.to_string()));
                    reference.insert("state_hash".into(), s(&snapshot.state_hash));
                    reference.insert("as_of".into(), s(snapshot.as_of.to_rfc3339()));
                    reference.insert("stored".into(), n(stamp));
                    self.put_new(self.main(), reference).await?;
                }
                Ok::<_, crate::StoreError>((new, snapshot))
            })
            .buffered(16)
            .try_collect::<Vec<_>>()
            .await?;
        let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
        for (_, snapshot) in &news {
            if !snapshot.account_id.is_empty() {
                touched.insert((snapshot.tenant_id.clone(), snapshot.account_id.clone()));
            }
        }
        for (tenant, account) in touched {
            self.bump(&tenant, &account, Counter::Snapshots).await?;
        }
        Ok(news.iter().filter(|(new, _)| *new).count())
    }

    async fn list_snapshots(
        &self,
        tenant_id: &str,
        entity: &EntityRef,
    ) -> StoreResult<Vec<EntitySnapshot>> {
        let mut items = self
            .query_partition(self.main(), &snapshot_pk(tenant_id, entity), Some("H#"))
            .await?;
        sort_by_stored(&mut items)?;
        self.bodies("snapshot", &items).await
    }

    async fn account_snapshots(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<SnapshotRef>> {
        let mut items = self
            .query_partition(
                self.main(),
                &account_pk(tenant_id, account_id),
                Some("SNAP#"),
            )
            .await?;
        sort_by_stored(&mut items)?;
        items
            .iter()
            .map(|item| {
                let entity = string(item, "entity")?;
                let (entity_type, entity_id) = entity
                    .split_once(':')
                    .ok_or_else(|| corrupt(format!("snapshot entity {entity:?} is not type:id")))?;
                let as_of = string(item, "as_of")?;
                Ok(SnapshotRef {
                    entity: EntityRef::new(entity_type, entity_id),
                    state_hash: string(item, "state_hash")?.to_string(),
                    as_of: as_of
                        .parse()
                        .map_err(|e| corrupt(format!("snapshot as_of {as_of:?}: {e}")))?,
                })
            })
            .collect()
    }

    async fn account_revision(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<AccountRevision> {
        let (account_key, tenant_key) = (
            key(account_pk(tenant_id, account_id), REVISION_SK),
            key(tenant_pk(tenant_id), TENANT_SK),
        );
        let items = self
            .batch_get(self.main(), vec![account_key.clone(), tenant_key])
            .await?;
        let mut revision = AccountRevision::default();
        for item in &items {
            if item.get("sk") == account_key.get("sk") {
                revision.versions = number(item, Counter::Versions.attribute())?;
                revision.signals = number(item, Counter::Signals.attribute())?;
                revision.snapshots = number(item, Counter::Snapshots.attribute())?;
                revision.answers = number(item, Counter::Answers.attribute())?;
            } else {
                revision.config = number(item, "revision")?;
            }
        }
        Ok(revision)
    }
}

/// Sorts items into the order they were stored (their `stored` stamp, then their key).
pub(crate) fn sort_by_stored(items: &mut [Item]) -> StoreResult<()> {
    let mut stamped = Vec::with_capacity(items.len());
    for item in items.iter() {
        stamped.push((number(item, "stored")?, string(item, "sk")?.to_string()));
    }
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|a, b| stamped[*a].cmp(&stamped[*b]));
    let sorted: Vec<Item> = order.iter().map(|i| items[*i].clone()).collect();
    items.clone_from_slice(&sorted);
    Ok(())
}
