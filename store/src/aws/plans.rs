use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use revloop_domain::decision::plan::PlanStatus;

use super::items::{Item, TransactOutcome, backoff, built, key, s, string, to_json};
use super::{
    AwsStore,
    errors::{is_condition_failed, sdk_err},
    tenant_pk,
};
use crate::StoreResult;
use crate::plans::{PlanRecord, PlanStore};

/// A plan is `T#{tenant}` / `PLAN#{id}` with its `status`; each claim is
/// `T#{tenant}#CLAIM` / `{claim}` naming its `holder`, taken all-or-none in one transaction
/// whose conditions say the claim is free, already ours, or held by a plan seen ended.
const CLAIM_ATTEMPTS: u32 = 20;

fn plan_sk(id: &str) -> String {
    format!("PLAN#{id}")
}

fn claims_pk(tenant: &str) -> String {
    format!("T#{tenant}#CLAIM")
}

impl AwsStore {
    async fn plan_item(&self, plan: &PlanRecord) -> StoreResult<Item> {
        let mut item = key(tenant_pk(&plan.tenant_id), plan_sk(&plan.plan_id));
        item.insert("status".into(), s(plan.status.as_str()));
        self.set_body(&plan.tenant_id, &mut item, to_json(plan)?)
            .await?;
        Ok(item)
    }

    /// Whether the plan has ended (or is unknown): its claims may be taken over.
    async fn plan_ended(&self, tenant: &str, plan_id: &str) -> StoreResult<bool> {
        let item = self.get_main(&tenant_pk(tenant), &plan_sk(plan_id)).await?;
        Ok(item
            .as_ref()
            .and_then(|i| string(i, "status").ok())
            .and_then(PlanStatus::parse)
            .is_none_or(|s| s.is_terminal()))
    }
}

#[async_trait]
impl PlanStore for AwsStore {
    async fn create_plan(&self, plan: &PlanRecord) -> StoreResult<PlanRecord> {
        let item = self.plan_item(plan).await?;
        if self.put_new(self.main(), item).await? {
            return Ok(plan.clone());
        }
        self.get_plan(&plan.tenant_id, &plan.plan_id)
            .await?
            .ok_or_else(|| crate::StoreError::not_found(format!("plan {}", plan.plan_id)))
    }

    async fn save_plan(&self, plan: &PlanRecord) -> StoreResult<()> {
        let item = self.plan_item(plan).await?;
        let what = format!("plan {} of tenant {}", plan.plan_id, plan.tenant_id);
        self.replace_existing(item, what).await
    }

    async fn get_plan(&self, tenant_id: &str, plan_id: &str) -> StoreResult<Option<PlanRecord>> {
        match self
            .get_main(&tenant_pk(tenant_id), &plan_sk(plan_id))
            .await?
        {
            Some(item) => Ok(Some(self.body("plan", &item).await?)),
            None => Ok(None),
        }
    }

    async fn list_plans(
        &self,
        tenant_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<PlanRecord>> {
        let mut items = self
            .query_partition(self.main(), &tenant_pk(tenant_id), Some("PLAN#"))
            .await?;
        if let Some(status) = status {
            items.retain(|item| string(item, "status").ok() == Some(status.as_str()));
        }
        let mut plans: Vec<PlanRecord> = self.bodies("plan", &items).await?;
        plans.sort_by(|a, b| (b.created_at, &b.plan_id).cmp(&(a.created_at, &a.plan_id)));
        Ok(plans)
    }

    async fn claim_for_plan(
        &self,
        tenant_id: &str,
        plan_id: &str,
        claims: &[String],
    ) -> StoreResult<Option<String>> {
        if claims.is_empty() {
            return Ok(None);
        }
        let pk = claims_pk(tenant_id);
        for attempt in 0..CLAIM_ATTEMPTS {
            let held = self
                .batch_get(self.main(), claims.iter().map(|c| key(&pk, c)).collect())
                .await?;
            let mut holders: HashMap<String, String> = HashMap::new();
            for item in &held {
                holders.insert(
                    string(item, "sk")?.to_string(),
                    string(item, "holder")?.to_string(),
                );
            }
            for holder in holders.values() {
                if holder != plan_id && !self.plan_ended(tenant_id, holder).await? {
                    return Ok(Some(holder.clone()));
                }
            }
            let mut items = Vec::with_capacity(claims.len());
            for claim in claims {
                let mut item = key(&pk, claim);
                item.insert("holder".into(), s(plan_id));
                let mut put = Put::builder()
                    .table_name(self.main())
                    .set_item(Some(item))
                    .expression_attribute_names("#h", "holder")
                    .expression_attribute_values(":me", s(plan_id));
                put = match holders.get(claim) {
                    Some(seen) if seen != plan_id => put
                        .condition_expression("attribute_not_exists(pk) OR #h = :me OR #h = :seen")
                        .expression_attribute_values(":seen", s(seen)),
                    _ => put.condition_expression("attribute_not_exists(pk) OR #h = :me"),
                };
                items.push(
                    TransactWriteItem::builder()
                        .put(built("Put", put.build())?)
                        .build(),
                );
            }
            match self.transact(items).await? {
                TransactOutcome::Committed => return Ok(None),
                // Another plan claimed one meanwhile: look again at who holds what.
                TransactOutcome::Cancelled(_) => backoff(attempt.min(4)).await,
            }
        }
        Err(crate::StoreError::new(
            crate::StoreErrorKind::Unavailable,
            format!(
                "plan {plan_id}: its claims kept racing other plans' for {CLAIM_ATTEMPTS} attempts"
            ),
        ))
    }

    async fn release_plan_claims(&self, tenant_id: &str, plan_id: &str) -> StoreResult<()> {
        let pk = claims_pk(tenant_id);
        for item in self.query_partition(self.main(), &pk, None).await? {
            if string(&item, "holder")? != plan_id {
                continue;
            }
            let claim = string(&item, "sk")?.to_string();
            match self
                .ddb()
                .delete_item()
                .table_name(self.main())
                .set_key(Some(key(&pk, &claim)))
                .condition_expression("#h = :me")
                .expression_attribute_names("#h", "holder")
                .expression_attribute_values(":me", s(plan_id))
                .send()
                .await
            {
                // Taken over meanwhile: no longer ours to drop.
                Ok(_) => {}
                Err(e) if is_condition_failed(&e) => {}
                Err(e) => return Err(sdk_err("DeleteItem claim", e)),
            }
        }
        Ok(())
    }
}
