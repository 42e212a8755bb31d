use async_trait::async_trait;
use revloop_domain::decision::plan::PlanStatus;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::plans::{PlanRecord, PlanStore};

#[async_trait]
impl PlanStore for SqliteStore {
    async fn create_plan(&self, plan: &PlanRecord) -> StoreResult<PlanRecord> {
        let (p, body) = (plan.clone(), to_json(plan)?);
        self.with(move |c| {
            c.execute(
                "INSERT OR IGNORE INTO plans (tenant_id, plan_id, status, body) VALUES (?1, ?2, ?3, ?4)",
                params![p.tenant_id, p.plan_id, p.status.as_str(), body],
            )
            .map_err(sql_err)?;
            let stored: String = c
                .query_row(
                    "SELECT body FROM plans WHERE tenant_id = ?1 AND plan_id = ?2",
                    params![p.tenant_id, p.plan_id],
                    |r| r.get(0),
                )
                .map_err(sql_err)?;
            from_json("plan", &stored)
        })
        .await
    }

    async fn save_plan(&self, plan: &PlanRecord) -> StoreResult<()> {
        let (p, body) = (plan.clone(), to_json(plan)?);
        self.with(move |c| {
            let n = c
                .execute(
                    "UPDATE plans SET status = ?3, body = ?4 WHERE tenant_id = ?1 AND plan_id = ?2",
                    params![p.tenant_id, p.plan_id, p.status.as_str(), body],
                )
                .map_err(sql_err)?;
            if n == 0 {
                return Err(crate::StoreError::not_found(format!(
                    "plan {} of tenant {}",
                    p.plan_id, p.tenant_id
                )));
            }
            Ok(())
        })
        .await
    }

    async fn get_plan(&self, tenant_id: &str, plan_id: &str) -> StoreResult<Option<PlanRecord>> {
        let (t, id) = (tenant_id.to_string(), plan_id.to_string());
        self.with(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM plans WHERE tenant_id = ?1 AND plan_id = ?2",
                    params![t, id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(sql_err)?;
            body.map(|b| from_json("plan", &b)).transpose()
        })
        .await
    }

    async fn list_plans(
        &self,
        tenant_id: &str,
        status: Option<PlanStatus>,
    ) -> StoreResult<Vec<PlanRecord>> {
        let t = tenant_id.to_string();
        let status = status.map(|s| s.as_str().to_string());
        self.with(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT body FROM plans WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2)",
                )
                .map_err(sql_err)?;
            let rows = stmt
                .query_map(params![t, status], |r| r.get::<_, String>(0))
                .map_err(sql_err)?;
            let mut plans: Vec<PlanRecord> = rows
                .map(|r| r.map_err(sql_err).and_then(|b| from_json("plan", &b)))
                .collect::<StoreResult<_>>()?;
            plans.sort_by(|a, b| (b.created_at, &b.plan_id).cmp(&(a.created_at, &a.plan_id)));
            Ok(plans)
        })
        .await
    }

    async fn claim_for_plan(
        &self,
        tenant_id: &str,
        plan_id: &str,
        claims: &[String],
    ) -> StoreResult<Option<String>> {
        let (t, id, claims) = (tenant_id.to_string(), plan_id.to_string(), claims.to_vec());
        self.with(move |c| {
            let tx = c
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(sql_err)?;
            for claim in &claims {
                let holder: Option<String> = tx
                    .query_row(
                        "SELECT plan_id FROM plan_claims WHERE tenant_id = ?1 AND claim = ?2",
                        params![t, claim],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                let Some(holder) = holder.filter(|h| h != &id) else {
                    continue;
                };
                let status: Option<String> = tx
                    .query_row(
                        "SELECT status FROM plans WHERE tenant_id = ?1 AND plan_id = ?2",
                        params![t, holder],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(sql_err)?;
                let ended = status
                    .as_deref()
                    .and_then(PlanStatus::parse)
                    .is_none_or(|s| s.is_terminal());
                if !ended {
                    return Ok(Some(holder));
                }
            }
            for claim in &claims {
                tx.execute(
                    "INSERT OR REPLACE INTO plan_claims (tenant_id, claim, plan_id) VALUES (?1, ?2, ?3)",
                    params![t, claim, id],
                )
                .map_err(sql_err)?;
            }
            tx.commit().map_err(sql_err)?;
            Ok(None)
        })
        .await
    }

    async fn release_plan_claims(&self, tenant_id: &str, plan_id: &str) -> StoreResult<()> {
        let (t, id) = (tenant_id.to_string(), plan_id.to_string());
        self.with(move |c| {
            c.execute(
                "DELETE FROM plan_claims WHERE tenant_id = ?1 AND plan_id = ?2",
                params![t, id],
            )
            .map_err(sql_err)?;
            Ok(())
        })
        .await
    }
}
