//! PerceptionWorkflow: fetch → store evidence → normalize and diff → detect → emit; for pulled
//! batches, commit the connector's cursor last, so a run that fails is pulled again whole. A
//! pull past one step's bounds (10 000 records or 4 MiB) is perceived part by part, each part
//! its own normalize → detect → emit, and the cursor moves after the last.

use revloop_activities::batch_sets::SAMPLE;
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
        let mut result = PerceptionResult {
            evidence_id: fetched.evidence_id.clone(),
            accepted: 0,
            rejected: 0,
            changed: 0,
            stale: 0,
            new_signals: 0,
            accounts: Vec::new(),
            account_count: 0,
            world_errors: Vec::new(),
            parts: 1,
        };
        // A pull past one step's bounds is perceived part by part (histories from before
        // parts existed never had any); the cursor moves after the last.
        let steps: Vec<Option<BatchPart>> = match fetched.parts.clone() {
            Some(parts) if ctx.patched("bounded-batches") => (0..parts.count)
                .map(|index| {
                    Some(BatchPart {
                        set_key: parts.set_key.clone(),
                        index,
                    })
                })
                .collect(),
            _ => vec![None],
        };
        result.parts = steps.len();
        let count = steps.len();
        for (n, part) in steps.into_iter().enumerate() {
            if count > 1 {
                ctx.set_current_details(format!("perceiving part {} of {count}", n + 1));
            }
            let step = Step {
                tenant_id: &tenant_id,
                trace_id: &trace_id,
                evidence_id: &fetched.evidence_id,
                part,
                now,
            };
            perceive(ctx, step, &mut result).await?;
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

/// One bounded step of a batch: the whole batch, or one part of a split pull.
struct Step<'a> {
    tenant_id: &'a str,
    trace_id: &'a str,
    evidence_id: &'a str,
    part: Option<BatchPart>,
    now: chrono::DateTime<chrono::Utc>,
}

/// Normalize and diff → detect → emit, for one step, added into `result`.
async fn perceive(
    ctx: &mut WorkflowContext<PerceptionWorkflow>,
    step: Step<'_>,
    result: &mut PerceptionResult,
) -> WorkflowResult<()> {
    let (tenant_id, trace_id) = (step.tenant_id.to_string(), step.trace_id.to_string());
    // An empty delta has nothing to normalize; only its cursor (if any) is committed.
    if step.evidence_id.is_empty() && step.part.is_none() {
        return Ok(());
    }
    ctx.set_current_details("normalizing and diffing".to_string());
    let normalized = ctx
        .execute_activity(
            PerceptionActivities::normalize_records,
            NormalizeInput {
                tenant_id: tenant_id.clone(),
                trace_id: trace_id.clone(),
                evidence_id: step.evidence_id.to_string(),
                now: step.now,
                part: step.part,
            },
            heartbeating_activity_options(),
        )
        .await?;
    // Histories recorded before change sets carry the changes inline.
    let changed = normalized.changed.max(normalized.changes.len());
    result.accepted += normalized.accepted;
    result.rejected += normalized.rejected;
    result.changed += changed;
    result.stale += normalized.stale;
    let room = SAMPLE.saturating_sub(result.world_errors.len());
    result
        .world_errors
        .extend(normalized.world.errors.iter().take(room).cloned());
    if !result.world_errors.is_empty() {
        ctx.set_current_details(format!(
            "world state refused: {}",
            result.world_errors.join("; ")
        ));
    }
    if changed == 0 {
        return Ok(());
    }
    ctx.set_current_details("detecting signals".to_string());
    let detected = ctx
        .execute_activity(
            PerceptionActivities::detect_signals,
            DetectInput {
                tenant_id: tenant_id.clone(),
                trace_id: trace_id.clone(),
                changes: normalized.changes,
                change_set: normalized.change_set,
                now: step.now,
            },
            heartbeating_activity_options(),
        )
        .await?;
    let new_signals = detected.new_signal_count.max(detected.new_signals.len());
    result.new_signals += new_signals;
    if new_signals > 0 {
        ctx.set_current_details("emitting signals to accounts".to_string());
        let emitted = ctx
            .execute_activity(
                PerceptionActivities::emit_signals,
                EmitInput {
                    tenant_id,
                    trace_id,
                    signals: detected.new_signals,
                    signal_set: detected.signal_set,
                },
                heartbeating_activity_options(),
            )
            .await?;
        result.account_count += emitted.account_count.max(emitted.accounts.len());
        for account in emitted.accounts {
            if result.accounts.len() < SAMPLE && !result.accounts.contains(&account) {
                result.accounts.push(account);
            }
        }
    }
    Ok(())
}
