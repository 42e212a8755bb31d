//! Human-readable rendering of API results (`--json` prints the messages themselves).

use revloop_proto::v1 as pb;

pub fn action_line(a: &pb::Action) -> String {
    let mut line = format!(
        "#{rank} {id}  [{status}] {kind} ({class}, confidence {conf:.2})\n    {title}\n    why now: {why}\n    evidence: {n} ref(s)",
        rank = a.rank,
        id = a.action_id,
        status = a.status,
        kind = a.kind,
        class = a.action_class,
        conf = a.confidence,
        title = a.title,
        why = a.why_now,
        n = a.evidence_refs.len(),
    );
    if let Some(delivery) = delivery(a) {
        line += &format!("\n    {delivery}");
    }
    line
}

/// Where an executed action's effect went (`written to Salesforce as Task …`, `queued in
/// revloop's outbox (no mailer configured)`), from its result.
pub fn delivery(a: &pb::Action) -> Option<String> {
    let result: serde_json::Value = serde_json::from_str(&a.result_json).ok()?;
    result["payload"]["delivery"].as_str().map(str::to_string)
}

/// Whether the action's effect waits in revloop's outbox, not in a real system.
pub fn in_outbox(a: &pb::Action) -> bool {
    delivery(a).is_some_and(|d| d.starts_with("queued in revloop's outbox"))
}

/// `revloop why`: the verdict, then each WARN / BLOCK reason, then every result with its
/// ledger sequence number.
pub fn explanation_text(e: &pb::ExplainActionResponse) -> String {
    let mut out = format!(
        "{} is {} — overall {}\n  snapshot: {}",
        e.action_id,
        e.status,
        e.verdict,
        if e.snapshot_ref.is_empty() {
            "(none)"
        } else {
            &e.snapshot_ref
        }
    );
    if let Some(account) = e
        .world_snapshots
        .iter()
        .find(|s| s.starts_with("snap:account:"))
    {
        out += &format!(
            "\n  world: {account} and {} more entity snapshots",
            e.world_snapshots.len() - 1
        );
    }
    if !e.route.is_empty() {
        out += &format!("\n  route: {} [{}]", e.route, e.route_rule);
        if !e.route_reason.is_empty() {
            out += &format!(" — {}", e.route_reason);
        }
    }
    if !e.decided_by.is_empty() {
        out += &format!("\n  decided by: {}", e.decided_by);
    }
    if e.reasons.is_empty() {
        out += "\n  nothing warned or blocked";
    }
    for r in &e.reasons {
        out += &format!("\n  - {r}");
    }
    for b in &e.budget {
        out += &format!(
            "\n  budget {} ({}): {} {} [ledger #{}]",
            b.operation, b.cost_class, b.result, b.reason, b.ledger_seq
        );
    }
    for g in &e.gateway_runs {
        out += &format!(
            "\n  gateway {}: {} [ledger #{}]",
            g.checkpoint, g.aggregate, g.aggregate_ledger_seq
        );
        for r in &g.results {
            out += &format!(
                "\n    {}: {} {} [ledger #{}]",
                r.validator, r.result, r.reason, r.ledger_seq
            );
        }
    }
    out
}

pub fn action_detail(a: &pb::Action) -> String {
    let mut out = action_line(a);
    out += &format!(
        "\n    account: {}  trace: {}  decision: {}\n    params: {}",
        a.account_id, a.trace_id, a.decision_id, a.params_json
    );
    for g in &a.validations {
        out += &format!("\n    validation {} → {}", g.checkpoint, g.aggregate);
        for r in &g.results {
            out += &format!("\n      {}: {} {}", r.validator, r.result, r.reason);
        }
    }
    for b in &a.budget {
        out += &format!("\n    budget {} → {} {}", b.operation, b.result, b.reason);
    }
    for o in &a.outcomes {
        out += &format!("\n    outcome {} at {}", o.kind, o.at);
        if !o.diff_json.is_empty() {
            out += &format!(" {}", o.diff_json);
        }
    }
    for e in &a.approval_events {
        let what = if e.accepted {
            format!("accepted from {}", e.approver)
        } else {
            format!("refused: {}", e.error)
        };
        out += &format!("\n    {} at {}: {what}", e.signal, e.at);
    }
    for e in &a.evidence {
        out += &format!(
            "\n    evidence {} ({} {}, {}, seen {})",
            e.r#ref, e.record_type, e.record_id, e.trust_class, e.observed_at
        );
    }
    if !a.result_json.is_empty() {
        out += &format!("\n    result: {}", a.result_json);
    }
    out
}

/// The message of an API error, with every field violation on its own line.
pub fn status_message(status: &tonic::Status) -> String {
    use tonic_types::StatusExt;
    let mut out = status.message().to_string();
    if let Some(bad) = status.get_details_bad_request() {
        for v in bad.field_violations {
            out += &format!("\n  {}: {}", v.field, v.description);
        }
    }
    out
}
