use async_trait::async_trait;

use super::AwsStore;
use super::items::{key, n, stored_stamp, to_json};
use super::snapshots::sort_by_stored;
use crate::StoreResult;
use crate::effects::{Effect, EffectStore};

/// An effect is `T#{tenant}#EFFECT#{action}` / `{idempotency key}`: the conditional put is
/// what makes a side effect happen once.
fn effects_pk(tenant: &str, action: &str) -> String {
    format!("T#{tenant}#EFFECT#{action}")
}

#[async_trait]
impl EffectStore for AwsStore {
    async fn record_effect(&self, effect: &Effect) -> StoreResult<(Effect, bool)> {
        let pk = effects_pk(&effect.tenant_id, &effect.action_id);
        let mut item = key(&pk, &effect.idempotency_key);
        item.insert("stored".into(), n(stored_stamp()));
        self.set_body(&effect.tenant_id, &mut item, to_json(effect)?)
            .await?;
        if self.put_new(self.main(), item).await? {
            return Ok((effect.clone(), true));
        }
        let stored = self
            .get_main(&pk, &effect.idempotency_key)
            .await?
            .ok_or_else(|| {
                crate::StoreError::not_found(format!("effect {}", effect.idempotency_key))
            })?;
        Ok((self.body("effect", &stored).await?, false))
    }

    async fn list_effects(&self, tenant_id: &str, action_id: &str) -> StoreResult<Vec<Effect>> {
        let mut items = self
            .query_partition(self.main(), &effects_pk(tenant_id, action_id), None)
            .await?;
        sort_by_stored(&mut items)?;
        self.bodies("effect", &items).await
    }
}
