//! One action: why it was proposed (its signals with their numbers, each evidence record with
//! its source and age, the validator and budget results, the snapshot, the model), the forms
//! to approve, edit or reject it, and the agent's timeline from the ledger.

use axum::extract::{Path, Query, State};
use axum::response::Html;
use revloop_domain::decision::ActionKind;
use revloop_domain::ledger::{LedgerEntry, LedgerKind};
use revloop_proto::v1 as pb;
use serde::Deserialize;

use super::error::WebError;
use super::session::Session;
use super::{WebState, frame, get_action, html};

/// How many of the tenant's ledger entries a timeline reads, newest last, at most.
const LEDGER_PAGE: usize = 1000;

#[derive(Debug, Default, Deserialize)]
pub struct Shown {
    /// Set after a decision was sent: `approve`, `edit` or `reject`.
    #[serde(default)]
    done: String,
}

fn table(caption: &str, head: &[&str], rows: Vec<String>) -> String {
    if rows.is_empty() {
        return format!("<p>{}: none.</p>", html::escape(caption));
    }
    let head: String = head
        .iter()
        .map(|h| format!(r#"<th scope="col">{h}</th>"#))
        .collect();
    format!(
        "<table><caption>{}</caption><thead><tr>{head}</tr></thead><tbody>{}</tbody></table>",
        html::escape(caption),
        rows.concat()
    )
}

fn cells(values: &[String]) -> String {
    let tds: String = values.iter().map(|v| format!("<td>{v}</td>")).collect();
    format!("<tr>{tds}</tr>")
}

/// The entries of the action's trace that tell its story: the signals the batch raised, its
/// decision, and its own approval and action workflows.
async fn timeline(
    state: &WebState,
    tenant: &str,
    action: &pb::Action,
) -> Result<Vec<LedgerEntry>, WebError> {
    let own = format!("/{}", action.action_id);
    let mut found = Vec::new();
    let mut after = 0;
    loop {
        let page = state
            .app
            .store
            .list_entries(tenant, after, LEDGER_PAGE)
            .await
            .map_err(crate::error::store)?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        let full = page.len() == LEDGER_PAGE;
        found.extend(page.into_iter().filter(|e| {
            // The decision validates all its proposals; only this one's results belong here.
            let about_this = e.kind != LedgerKind::Validation
                || e.payload.to_string().contains(&action.action_id);
            e.trace_id == action.trace_id
                && (e.kind == LedgerKind::Signal
                    || (e.workflow_id == action.decision_id && about_this)
                    || e.workflow_id.ends_with(&own))
        }));
        if !full {
            break;
        }
    }
    Ok(found)
}

/// The ledger's name of an entry's kind (`DECISION`, `APPROVAL`, …).
fn kind_name(kind: LedgerKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The model that answered the decision, as its DECISION entry recorded it.
fn model_of(entries: &[LedgerEntry], decision_id: &str) -> String {
    entries
        .iter()
        // The decision's own entry, not its agent's turns (which are DECISION entries too).
        .find(|e| {
            e.kind == LedgerKind::Decision
                && e.workflow_id == decision_id
                && e.payload.get("output").is_some()
        })
        .and_then(|e| e.payload["output"]["model"].as_str())
        .unwrap_or("unknown")
        .to_string()
}

fn decide_forms(action: &pb::Action, csrf: &str) -> String {
    let id = html::url_part(&action.action_id);
    let csrf = html::escape(csrf);
    let reason = |verb: &str, required: bool| {
        format!(
            r#"<label for="{verb}-reason">Reason</label><textarea id="{verb}-reason" name="reason" rows="2"{}></textarea>"#,
            if required { " required" } else { "" }
        )
    };
    let params: serde_json::Value = serde_json::from_str(&action.params_json).unwrap_or_default();
    let editable = ActionKind::parse(&action.kind)
        .map(ActionKind::editable_params)
        .unwrap_or_default();
    let mut edit_fields = String::new();
    for name in editable {
        let value = match &params[*name] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        let field = format!("param.{name}");
        let input = if *name == "body" {
            format!(
                r#"<textarea id="edit-{name}" name="{field}" rows="6">{}</textarea>"#,
                html::escape(&value)
            )
        } else {
            format!(
                r#"<input type="text" id="edit-{name}" name="{field}" value="{}">"#,
                html::escape(&value)
            )
        };
        edit_fields += &format!(
            r#"<label for="edit-{name}">{}</label>{input}"#,
            name.replace('_', " ")
        );
    }
    let edit = if edit_fields.is_empty() {
        String::new()
    } else {
        format!(
            r#"<form method="post" action="/app/actions/{id}/edit" aria-labelledby="edit-h"><h3 id="edit-h">Edit, then approve</h3><input type="hidden" name="csrf" value="{csrf}">{edit_fields}{}<p><button type="submit">Approve as edited</button></p></form>"#,
            reason("edit", false)
        )
    };
    format!(
        r#"<section aria-labelledby="decide-h"><h2 id="decide-h">Decide</h2><div class="decide">
<form method="post" action="/app/actions/{id}/approve" aria-labelledby="approve-h"><h3 id="approve-h">Approve</h3><input type="hidden" name="csrf" value="{csrf}">{}<p><button type="submit">Approve</button></p></form>
<form method="post" action="/app/actions/{id}/reject" aria-labelledby="reject-h"><h3 id="reject-h">Reject</h3><input type="hidden" name="csrf" value="{csrf}">{}<p><button class="secondary" type="submit">Reject</button></p></form>
{edit}</div></section>"#,
        reason("approve", false),
        reason("reject", true),
    )
}

pub async fn show(
    State(state): State<WebState>,
    session: Session,
    Path(action_id): Path<String>,
    Query(shown): Query<Shown>,
) -> Result<Html<String>, WebError> {
    let tenant = session.claims.tenant.clone();
    let action = get_action(&state, &session, &action_id).await?;
    let now = chrono::Utc::now();
    let store = &state.app.store;
    let playbook = store
        .get_action(&action.action_id)
        .await
        .map_err(crate::error::store)?
        .map(|a| a.proposal.playbook)
        .unwrap_or_default();
    let signals: Vec<_> = store
        .list_signals(&tenant, Some(&action.account_id))
        .await
        .map_err(crate::error::store)?
        .into_iter()
        .filter(|s| action.signal_ids.contains(&s.signal_id))
        .collect();
    let entries = timeline(&state, &tenant, &action).await?;

    let mut body = String::new();
    if !shown.done.is_empty() {
        body += &format!(
            r#"<p class="notice" role="status">Your decision ({}) was sent to the action's approval workflow. It counts once the workflow has verified it; this page shows the result.</p>"#,
            html::escape(&shown.done)
        );
    }
    body += &format!(
        r#"<dl>
<dt>Status</dt><dd>{}</dd>
<dt>Account</dt><dd>{}</dd>
<dt>Kind</dt><dd>{} ({})</dd>
<dt>Confidence</dt><dd>{:.2}</dd>
<dt>Proposed by</dt><dd>the {} model, playbook {}</dd>
</dl>
<h2>Why this?</h2><p>{}</p>"#,
        html::status_badge(&action.status),
        html::escape(&action.account_id),
        html::escape(&action.kind.replace('_', " ")),
        html::escape(&action.action_class.replace('_', " ")),
        action.confidence,
        html::escape(&model_of(&entries, &action.decision_id)),
        html::escape(if playbook.is_empty() {
            "unknown"
        } else {
            &playbook
        }),
        html::escape(&action.why_now),
    );
    if action.status == "awaiting_approval" {
        body += &decide_forms(&action, &session.csrf);
    }
    let signal_rows = signals
        .iter()
        .map(|s| {
            let numbers = match &s.details {
                serde_json::Value::Object(m) => m
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            cells(&[
                html::escape(&s.signal_type.as_str()),
                html::escape(&format!("{:?}", s.severity).to_lowercase()),
                html::escape(&numbers),
                html::escape(&html::age(&s.detected_at.to_rfc3339(), now)),
            ])
        })
        .collect();
    body += &table(
        "Signals",
        &["Signal", "Severity", "Numbers", "Detected"],
        signal_rows,
    );
    let evidence_rows = action
        .evidence
        .iter()
        .map(|e| {
            cells(&[
                format!("<code>{}</code>", html::escape(&e.r#ref)),
                html::escape(&format!("{} {}", e.record_type, e.record_id)),
                html::escape(&e.trust_class),
                html::escape(&html::age(&e.observed_at, now)),
            ])
        })
        .collect();
    body += &table(
        "Evidence",
        &["Reference", "Record", "Source", "Observed"],
        evidence_rows,
    );
    let validation_rows = action
        .validations
        .iter()
        .flat_map(|run| {
            run.results.iter().map(move |r| {
                cells(&[
                    html::escape(&run.checkpoint),
                    html::escape(&r.validator),
                    html::escape(&r.result),
                    html::escape(&r.reason),
                    r.ledger_seq.to_string(),
                ])
            })
        })
        .collect();
    body += &table(
        "Validators",
        &["Checkpoint", "Validator", "Result", "Reason", "Ledger seq"],
        validation_rows,
    );
    let budget_rows = action
        .budget
        .iter()
        .map(|b| {
            cells(&[
                html::escape(&b.operation),
                html::escape(&b.cost_class),
                html::escape(&b.result),
                html::escape(&b.reason),
                b.ledger_seq.to_string(),
            ])
        })
        .collect();
    body += &table(
        "Budget",
        &["Operation", "Cost class", "Result", "Reason", "Ledger seq"],
        budget_rows,
    );
    body += &format!(
        "<h2>Snapshot</h2><p>Planned on <code>{}</code>; the account's world-state snapshots: {}</p>",
        html::escape(&action.snapshot_ref),
        action
            .world_snapshots
            .iter()
            .map(|s| format!("<code>{}</code>", html::escape(s)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let approval_rows = action
        .approval_events
        .iter()
        .map(|e| {
            cells(&[
                html::escape(&e.signal),
                if e.accepted {
                    "accepted".into()
                } else {
                    format!("refused: {}", html::escape(&e.error))
                },
                html::escape(&e.approver),
                html::escape(&e.reason),
                html::escape(&html::age(&e.at, now)),
            ])
        })
        .collect();
    body += &table(
        "Approval signals",
        &["Signal", "Counted", "Approver", "Reason", "When"],
        approval_rows,
    );
    let timeline_rows = entries
        .iter()
        .map(|e| {
            cells(&[
                e.seq.to_string(),
                html::escape(&kind_name(e.kind)),
                html::escape(&e.activity),
                format!(
                    r#"<a href="{}">{}</a>"#,
                    html::escape(&state.workflow_link(&e.workflow_id)),
                    html::escape(&e.workflow_id)
                ),
                html::escape(&html::age(&e.at.to_rfc3339(), now)),
            ])
        })
        .collect();
    body += &table(
        "Timeline: signals, decision, validations, approval, execution",
        &[
            "Ledger seq",
            "Step",
            "Activity",
            "Workflow (Temporal Web UI)",
            "When",
        ],
        timeline_rows,
    );
    let frame = frame(&state, &session).await;
    Ok(Html(html::page(&action.title, Some(&frame), &body)))
}
