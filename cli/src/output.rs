//! Human-readable rendering of API results (`--json` prints the messages themselves).

use revloop_proto::v1 as pb;

pub fn action_line(a: &pb::Action) -> String {
    format!(
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
    )
}

pub fn action_detail(a: &pb::Action) -> String {
    let mut out = action_line(a);
    out += &format!(
        "\n    account: {}  trace: {}\n    params: {}",
        a.account_id, a.trace_id, a.params_json
    );
    for g in &a.validations {
        out += &format!("\n    validation {} → {}", g.checkpoint, g.aggregate);
        for r in &g.results {
            out += &format!(
                "\n      {}: {} {}",
                r.validator,
                r.verdict,
                r.reasons.join("; ")
            );
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
