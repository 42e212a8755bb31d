use async_trait::async_trait;

use super::AwsStore;
use super::items::{key, n, s, stored_stamp, string, to_json};
use super::snapshots::sort_by_stored;
use crate::StoreResult;
use crate::tool_runs::{ToolRun, ToolRunStore};

/// A tool run is `T#{tenant}#TOOL` / `{run id}` (stored once: a retried call answers from its
/// run), and a reference in its trace's partition, `T#{tenant}#TRACE#{trace}` / `TOOL#{run id}`.
fn runs_pk(tenant: &str) -> String {
    format!("T#{tenant}#TOOL")
}

fn trace_pk(tenant: &str, trace: &str) -> String {
    format!("T#{tenant}#TRACE#{trace}")
}

#[async_trait]
impl ToolRunStore for AwsStore {
    async fn record_tool_run(&self, run: &ToolRun) -> StoreResult<(ToolRun, bool)> {
        let mut item = key(runs_pk(&run.tenant_id), &run.tool_run_id);
        self.set_body(&run.tenant_id, &mut item, to_json(run)?)
            .await?;
        let created = self.put_new(self.main(), item).await?;
        let stored = if created {
            run.clone()
        } else {
            self.get_tool_run(&run.tenant_id, &run.tool_run_id)
                .await?
                .ok_or_else(|| {
                    crate::StoreError::not_found(format!("tool run {}", run.tool_run_id))
                })?
        };
        let mut reference = key(
            trace_pk(&stored.tenant_id, &stored.trace_id),
            format!("TOOL#{}", stored.tool_run_id),
        );
        reference.insert("run".into(), s(&stored.tool_run_id));
        reference.insert("stored".into(), n(stored_stamp()));
        self.put_new(self.main(), reference).await?;
        Ok((stored, created))
    }

    async fn get_tool_run(
        &self,
        tenant_id: &str,
        tool_run_id: &str,
    ) -> StoreResult<Option<ToolRun>> {
        match self.get_main(&runs_pk(tenant_id), tool_run_id).await? {
            Some(item) => Ok(Some(self.body("tool run", &item).await?)),
            None => Ok(None),
        }
    }

    async fn list_tool_runs(&self, tenant_id: &str, trace_id: &str) -> StoreResult<Vec<ToolRun>> {
        let mut refs = self
            .query_partition(self.main(), &trace_pk(tenant_id, trace_id), Some("TOOL#"))
            .await?;
        sort_by_stored(&mut refs)?;
        let mut runs = Vec::with_capacity(refs.len());
        for reference in &refs {
            if let Some(run) = self
                .get_tool_run(tenant_id, string(reference, "run")?)
                .await?
            {
                runs.push(run);
            }
        }
        Ok(runs)
    }
}
