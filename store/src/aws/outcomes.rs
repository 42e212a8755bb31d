use async_trait::async_trait;

use super::AwsStore;
use super::items::{key, n, s, stored_stamp, to_json};
use super::snapshots::sort_by_stored;
use crate::StoreResult;
use crate::outcomes::{Outcome, OutcomeStore};

/// An outcome is `T#{tenant}#OUT` / `{outcome id}`, stored once per id.
fn outcomes_pk(tenant: &str) -> String {
    format!("T#{tenant}#OUT")
}

#[async_trait]
impl OutcomeStore for AwsStore {
    async fn record_outcome(&self, outcome: &Outcome) -> StoreResult<(Outcome, bool)> {
        let pk = outcomes_pk(&outcome.tenant_id);
        let mut item = key(&pk, &outcome.outcome_id);
        item.insert("stored".into(), n(stored_stamp()));
        item.insert("action_id".into(), s(&outcome.action_id));
        self.set_body(&outcome.tenant_id, &mut item, to_json(outcome)?)
            .await?;
        if self.put_new(self.main(), item).await? {
            return Ok((outcome.clone(), true));
        }
        let stored = self
            .get_main(&pk, &outcome.outcome_id)
            .await?
            .ok_or_else(|| {
                crate::StoreError::not_found(format!("outcome {}", outcome.outcome_id))
            })?;
        Ok((self.body("outcome", &stored).await?, false))
    }

    async fn list_outcomes(
        &self,
        tenant_id: &str,
        action_id: Option<&str>,
    ) -> StoreResult<Vec<Outcome>> {
        let mut items = self
            .query_partition(self.main(), &outcomes_pk(tenant_id), None)
            .await?;
        if let Some(action) = action_id {
            items.retain(|item| super::items::string(item, "action_id").ok() == Some(action));
        }
        sort_by_stored(&mut items)?;
        self.bodies("outcome", &items).await
    }
}
