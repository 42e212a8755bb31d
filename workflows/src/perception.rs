//! PerceptionWorkflow: fetch → store evidence → normalize and diff → detect → emit; for pulled
//! batches, commit the connector's cursor last, so a run that fails is pulled again whole.

use revloop_activities::contracts::*;
use revloop_activities::perception::PerceptionActivities;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::common::{heartbeating_activity_options, short_activity_options, workflow_now};

#[workflow]
pub struct PerceptionWorkflow {
    input: PerceptionInput,
}

#[workflow_methods]
impl PerceptionWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: PerceptionInput) -> Self {
        Self { input }
    }

    #[run]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<PerceptionResult> {
        let input = ctx.state(|s| s.input.clone());
        let now = workflow_now(ctx.workflow_time());
        let tenant_id = input.tenant_id.clone();
        // Scheduled runs carry no trace id: each run is its own trace.
        let trace_id = if input.trace_id.is_empty() {
            ctx.workflow_id().to_string()
        } else {
            input.trace_id.clone()
        };
        ctx.set_current_details("fetching the batch".to_string());
        let fetched = ctx
            .execute_activity(
                PerceptionActivities::fetch_delta,
                FetchInput {
                    tenant_id: tenant_id.clone(),
                    trace_id: trace_id.clone(),
                    source: input.source.clone(),
                    now,
                },
                heartbeating_activity_options(),
            )
            .await?;
        // An empty delta has nothing to normalize; only its cursor (if any) is committed.
        let normalized = if fetched.evidence_id.is_empty() {
            NormalizeOutput {
                accepted: 0,
                unchanged: 0,
                stale: 0,
                rejected: 0,
                changes: Vec::new(),
                changed: 0,
                change_set: None,
                world: Default::default(),
            }
        } else {
            ctx.set_current_details("normalizing and diffing".to_string());
            ctx.execute_activity(
                PerceptionActivities::normalize_records,
                NormalizeInput {
                    tenant_id: tenant_id.clone(),
                    trace_id: trace_id.clone(),
                    evidence_id: fetched.evidence_id.clone(),
                    now,
                },
                heartbeating_activity_options(),
            )
            .await?
        };
        let mut result = PerceptionResult {
            evidence_id: fetched.evidence_id.clone(),
            accepted: normalized.accepted,
            rejected: normalized.rejected,
            // Histories recorded before change sets carry the changes inline.
            changed: normalized.changed.max(normalized.changes.len()),
            stale: normalized.stale,
            new_signals: 0,
            accounts: Vec::new(),
            account_count: 0,
            world_errors: normalized.world.errors.clone(),
        };
        if !result.world_errors.is_empty() {
            ctx.set_current_details(format!(
                "world state refused: {}",
                result.world_errors.join("; ")
            ));
        }
        if result.changed > 0 {
            ctx.set_current_details("detecting signals".to_string());
            let detected = ctx
                .execute_activity(
                    PerceptionActivities::detect_signals,
                    DetectInput {
                        tenant_id: tenant_id.clone(),
                        trace_id: trace_id.clone(),
                        changes: normalized.changes,
                        change_set: normalized.change_set,
                        now,
                    },
                    heartbeating_activity_options(),
                )
                .await?;
            result.new_signals = detected.new_signal_count.max(detected.new_signals.len());
            if result.new_signals > 0 {
                ctx.set_current_details("emitting signals to accounts".to_string());
                let emitted = ctx
                    .execute_activity(
                        PerceptionActivities::emit_signals,
                        EmitInput {
                            tenant_id: tenant_id.clone(),
                            trace_id: trace_id.clone(),
                            signals: detected.new_signals,
                            signal_set: detected.signal_set,
                        },
                        heartbeating_activity_options(),
                    )
                    .await?;
                result.account_count = emitted.account_count.max(emitted.accounts.len());
                result.accounts = emitted.accounts;
            }
        }
        if let (SourceRef::Pull { connector_id }, Some(cursor)) = (&input.source, fetched.cursor) {
            ctx.set_current_details("committing the cursor".to_string());
            ctx.execute_activity(
                PerceptionActivities::commit_cursor,
                CommitCursorInput {
                    tenant_id,
                    trace_id,
                    connector_id: connector_id.clone(),
                    cursor,
                },
                short_activity_options(),
            )
            .await?;
        }
        Ok(result)
    }
}
