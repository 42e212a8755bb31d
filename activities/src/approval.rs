//! Approval activities: open an approval, and record each approval signal (valid or not)
//! against the action it was sent for.

use std::sync::Arc;

use revloop_domain::decision::{ApprovalVerb, approval_token, parse_approval};
use revloop_domain::hashing::short_id;
use revloop_domain::ledger::LedgerKind;
use revloop_store::{ActionRecord, ActionStatus, ApprovalEvent, Outcome};
use serde_json::{Value, json};
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::approval_token::ApprovalKeys;
use crate::contracts::*;
use crate::decision::load_action;
use crate::governance::{LedgerScope, record_outcome};
use crate::ledger_hook::{LedgerRecord, record};
use crate::notify::{self, Notice};
use crate::{Deps, error};

/// The internal signal name used when the approval window closes unanswered.
pub const EXPIRE: &str = "expire";

pub struct ApprovalActivities {
    deps: Deps,
}

impl ApprovalActivities {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }
}

/// A notice about an action, with a link to its page when the tenant has one.
pub(crate) fn approval_notice(
    config: &revloop_store::TenantConfig,
    action: &ActionRecord,
    notice: &str,
    to: &str,
) -> Notice {
    Notice {
        tenant_id: action.tenant_id.clone(),
        action_id: action.action_id.clone(),
        notice: notice.to_string(),
        to: to.to_string(),
        title: action.proposal.title.clone(),
        link: config.notify.page_url.as_ref().map(|base| {
            format!(
                "{}/actions/{}",
                base.trim_end_matches('/'),
                action.action_id
            )
        }),
    }
}

#[activities]
impl ApprovalActivities {
    /// Marks the action as waiting for a person.
    #[activity]
    pub async fn open_approval(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: OpenApprovalInput,
    ) -> Result<ActionResult, ActivityError> {
        let store = &*self.deps.store;
        let mut action = load_action(store, &input.tenant_id, &input.action_id).await?;
        if action.status == ActionStatus::Proposed {
            action.status = ActionStatus::AwaitingApproval;
            store.save_action(&action).await.map_err(error::store)?;
            crate::metrics::plan_outcome("paused", "person");
        }
        let tenant = crate::decision::tenant_config(store, &input.tenant_id).await?;
        let config = tenant.approval.clone();
        let out = ActionResult {
            action_id: action.action_id.clone(),
            status: action.status,
            effect: None,
            approval_timers: Some(ApprovalTimers {
                remind_after_secs: config.remind_after_secs,
                escalate_after_secs: config.escalate_after_secs,
                expire_after_secs: config.expire_after_secs,
                escalate_to: config.escalate_to.into(),
            }),
        };
        // The approvers hear of the request at once (each notifier once, whatever the retries).
        let notice = approval_notice(&tenant, &action, "request", "approvers");
        let delivery = notify::deliver(
            store,
            &self.deps.settings,
            &tenant.notify,
            &notice,
            ctx.info().attempt,
            action.updated_at,
        )
        .await?;
        let mut ledgered = serde_json::to_value(&out)?;
        ledgered["request_notice"] = serde_json::to_value(&delivery)?;
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Approval,
                snapshot_ref: action.bound_snapshot(),
                result: &ledgered,
            },
        )
        .await?;
        Ok(out)
    }

    /// A reminder or an escalation fired on a waiting approval: sent by each of the tenant's
    /// notifiers (once each, whatever the retries), then ledgered (APPROVAL) with whom it goes
    /// to, where it was sent and where it could not be, and counted.
    #[activity]
    pub async fn record_approval_notice(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ApprovalNoticeInput,
    ) -> Result<(), ActivityError> {
        let store = &*self.deps.store;
        let action = load_action(store, &input.tenant_id, &input.action_id).await?;
        let config = crate::decision::tenant_config(store, &input.tenant_id).await?;
        let notice = approval_notice(&config, &action, &input.notice, &input.to);
        let delivery = notify::deliver(
            store,
            &self.deps.settings,
            &config.notify,
            &notice,
            ctx.info().attempt,
            input.at,
        )
        .await?;
        crate::metrics::approval_notice(&input.notice);
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Approval,
                snapshot_ref: action.bound_snapshot(),
                result: &json!({
                    "action_id": input.action_id,
                    "notice": input.notice,
                    "to": input.to,
                    "status": action.status.as_str(),
                    "at": input.at,
                    "sent": delivery.sent,
                    "not_sent": delivery.not_sent,
                }),
            },
        )
        .await?;
        Ok(())
    }

    /// Checks one approval signal and applies it if valid. Invalid ones are kept on the action
    /// with their error; the workflow goes on waiting.
    #[activity]
    pub async fn record_approval_event(
        self: Arc<Self>,
        ctx: ActivityContext,
        input: ApprovalEventInput,
    ) -> Result<ApprovalEventOutput, ActivityError> {
        let store = &*self.deps.store;
        let mut action = load_action(store, &input.tenant_id, &input.action_id).await?;
        // A retried attempt finds its own event already applied and reports the same outcome.
        // The token is a credential: the action and ledger keep only its id.
        let payload = redact_token(&input.payload);
        let applied = action
            .approval_events
            .iter()
            .find(|e| e.at == input.at && e.signal == input.signal && e.payload == payload)
            .cloned();
        let event = match applied {
            Some(event) => event,
            None => {
                let event = apply_signal(&mut action, &input, &self.deps.approval_keys, payload);
                action.approval_events.push(event.clone());
                action.updated_at = input.at;
                store.save_action(&action).await.map_err(error::store)?;
                event
            }
        };
        let out = ApprovalEventOutput {
            accepted: event.accepted,
            error: event.error.clone(),
            decision: event
                .accepted
                .then(|| decision_name(&event.signal, action.status)),
            approver: event.approver.clone().filter(|_| event.accepted),
        };
        if let Some(decision) = &out.decision {
            // Approve, edit, reject and expiry are outcomes; the edit keeps what changed.
            let diff = event.changes.clone();
            let outcome = Outcome {
                tenant_id: action.tenant_id.clone(),
                outcome_id: short_id("out", &[&action.action_id, decision]),
                action_id: action.action_id.clone(),
                account_id: action.account_id.clone(),
                kind: decision.clone(),
                diff,
                reason: event.reason.clone(),
                actor: event.approver.clone(),
                at: event.at,
            };
            let scope = LedgerScope::from_activity(&ctx, &input.tenant_id, &input.trace_id);
            if record_outcome(store, &scope, &outcome)
                .await
                .map_err(error::store)?
            {
                crate::metrics::approval_decision(decision);
                if matches!(
                    action.status,
                    ActionStatus::Rejected | ActionStatus::Expired
                ) {
                    crate::metrics::plan_outcome("aborted", "person");
                    let in_plan = (event.at - action.created_at).num_milliseconds() as f64 / 1000.0;
                    crate::metrics::plan_duration(
                        action.proposal.kind.as_str(),
                        action.status.as_str(),
                        in_plan,
                    );
                }
            }
        }
        let ledgered = json!({ "output": out, "event": event });
        record(
            store,
            &ctx,
            LedgerRecord {
                tenant_id: &input.tenant_id,
                trace_id: &input.trace_id,
                kind: LedgerKind::Approval,
                snapshot_ref: action.bound_snapshot(),
                result: &ledgered,
            },
        )
        .await?;
        Ok(out)
    }
}

/// The payload as kept on the action and in the ledger: a token is replaced by its id.
pub(crate) fn redact_token(payload: &Value) -> Value {
    let mut kept = payload.clone();
    if let Some(Value::String(token)) = kept.get("token") {
        let digest = short_id("tok", &[token]);
        kept["token"] = Value::String(format!("<redacted {digest}>"));
    }
    kept
}

/// Verifies the command's approval token against the action it reached, at the signal's
/// instant; returns the approver it names.
fn verified_approver(
    action: &ActionRecord,
    verb: ApprovalVerb,
    token: Option<&str>,
    keys: &ApprovalKeys,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String, String> {
    let token = token.ok_or_else(|| {
        format!(
            "no approval token: a decision counts only with a token issued to an approver \
             (`revloop approval-token {}`)",
            action.action_id
        )
    })?;
    let claims = keys
        .verify(&action.tenant_id, token)
        .map_err(|e| e.to_string())?;
    let snapshot = action.bound_snapshot();
    let expected = approval_token::Expected {
        tenant: &action.tenant_id,
        action_id: &action.action_id,
        verb,
        snapshot_ref: snapshot.as_deref(),
        now: at.timestamp().max(0) as u64,
    };
    approval_token::check_claims(&claims, &expected)
        .map_err(|e| format!("approval token refused: {e}"))?;
    Ok(claims.sub)
}

/// Applies one approval signal to the action (status, edited parameters) and returns the event
/// to keep, accepted or refused with its reason.
fn apply_signal(
    action: &mut ActionRecord,
    input: &ApprovalEventInput,
    keys: &ApprovalKeys,
    payload: Value,
) -> ApprovalEvent {
    let mut event = ApprovalEvent {
        signal: input.signal.clone(),
        accepted: false,
        approver: None,
        reason: None,
        error: None,
        changes: None,
        payload,
        at: input.at,
    };
    if action.status != ActionStatus::AwaitingApproval {
        event.error = Some(format!(
            "action {} is {}, not awaiting approval",
            action.action_id,
            action.status.as_str()
        ));
        return event;
    }
    if input.signal == EXPIRE {
        event.accepted = true;
        action.status = ActionStatus::Expired;
        return event;
    }
    let checked =
        parse_approval(&input.signal, &input.payload, action.proposal.kind).and_then(|cmd| {
            let approver =
                verified_approver(action, cmd.verb, cmd.token.as_deref(), keys, input.at)?;
            Ok((cmd, approver))
        });
    match checked {
        Err(message) => event.error = Some(message),
        Ok((cmd, approver)) => {
            event.accepted = true;
            event.approver = Some(approver);
            event.reason = cmd.reason;
            action.status = match cmd.verb {
                ApprovalVerb::Reject => ActionStatus::Rejected,
                ApprovalVerb::Approve => ActionStatus::Approved,
                ApprovalVerb::Edit => {
                    // Kept as a diff (each parameter's old and new value), so the edit's
                    // outcome says exactly what the person changed.
                    let diff = cmd.changes.iter().map(|(k, new)| {
                        let old = action.proposal.params.get(k).cloned();
                        (k.clone(), json!({ "from": old, "to": new }))
                    });
                    event.changes = Some(Value::Object(diff.collect()));
                    if let Value::Object(params) = &mut action.proposal.params {
                        params.extend(cmd.changes);
                    }
                    ActionStatus::Approved
                }
            };
        }
    }
    event
}

fn decision_name(signal: &str, status: ActionStatus) -> String {
    match (signal, status) {
        ("edit", _) => "edited".into(),
        (_, ActionStatus::Rejected) => "rejected".into(),
        (_, ActionStatus::Expired) => "expired".into(),
        _ => "approved".into(),
    }
}
