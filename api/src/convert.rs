//! Domain and store values into their wire form.

use revloop_domain::ledger::LedgerEntry;
use revloop_domain::signals::Signal;
use revloop_proto::v1 as pb;
use revloop_store::{ActionRecord, RecordVersion};

fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn enum_text<T: serde::Serialize>(value: &T) -> String {
    json_text(value).trim_matches('"').to_string()
}

pub fn signal(s: &Signal) -> pb::Signal {
    pb::Signal {
        signal_id: s.signal_id.clone(),
        signal_type: s.signal_type.as_str(),
        account_id: s.account_id.to_string(),
        severity: enum_text(&s.severity),
        confidence: s.confidence,
        evidence_refs: s.evidence_refs.clone(),
        detected_at: s.detected_at.to_rfc3339(),
        expires_at: s.expires_at.to_rfc3339(),
        dedup_key: s.dedup_key.clone(),
        details_json: json_text(&s.details),
    }
}

pub fn action(a: &ActionRecord) -> pb::Action {
    let p = &a.proposal;
    pb::Action {
        action_id: a.action_id.clone(),
        tenant_id: a.tenant_id.clone(),
        account_id: a.account_id.clone(),
        trace_id: a.trace_id.clone(),
        kind: p.kind.as_str().to_string(),
        action_class: enum_text(&p.class),
        status: a.status.as_str().to_string(),
        rank: p.rank,
        title: p.title.clone(),
        why_now: p.why_now.clone(),
        confidence: p.confidence,
        evidence_refs: p.evidence_refs.clone(),
        signal_ids: p.signal_ids.clone(),
        params_json: json_text(&p.params),
        validations: a
            .validations
            .iter()
            .map(|g| pb::GatewayRun {
                checkpoint: enum_text(&g.checkpoint),
                aggregate: enum_text(&g.aggregate),
                results: g
                    .results
                    .iter()
                    .map(|r| pb::ValidatorResult {
                        validator: r.validator.clone(),
                        verdict: enum_text(&r.verdict),
                        reasons: r.reasons.clone(),
                    })
                    .collect(),
            })
            .collect(),
        approval_events: a
            .approval_events
            .iter()
            .map(|e| pb::ApprovalEvent {
                signal: e.signal.clone(),
                accepted: e.accepted,
                approver: e.approver.clone().unwrap_or_default(),
                reason: e.reason.clone().unwrap_or_default(),
                error: e.error.clone().unwrap_or_default(),
                at: e.at.to_rfc3339(),
                changes_json: e.changes.as_ref().map(json_text).unwrap_or_default(),
            })
            .collect(),
        result_json: a.result.as_ref().map(json_text).unwrap_or_default(),
        created_at: a.created_at.to_rfc3339(),
        updated_at: a.updated_at.to_rfc3339(),
        evidence: Vec::new(),
        requires_approval: p.kind.requires_approval(),
    }
}

pub fn evidence(evidence_ref: &str, v: &RecordVersion) -> pb::Evidence {
    pb::Evidence {
        r#ref: evidence_ref.to_string(),
        record_type: v.key.record_type.clone(),
        record_id: v.key.id.clone(),
        trust_class: v.trust_class.clone(),
        observed_at: v.observed_at.to_rfc3339(),
        record_json: json_text(&v.record),
    }
}

pub fn ledger_entry(e: &LedgerEntry) -> pb::LedgerEntry {
    pb::LedgerEntry {
        tenant_id: e.tenant_id.clone(),
        seq: e.seq,
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
        at: e.at.to_rfc3339(),
        trace_id: e.trace_id.clone(),
        workflow_id: e.workflow_id.clone(),
        run_id: e.run_id.clone(),
        activity: e.activity.clone(),
        kind: enum_text(&e.kind),
        snapshot_ref: e.snapshot_ref.clone().unwrap_or_default(),
        payload_digest: e.payload_digest.clone(),
        payload_json: json_text(&e.payload),
    }
}
