//! Domain and store values into their wire form.

use revloop_domain::ledger::LedgerEntry;
use revloop_domain::signals::Signal;
use revloop_domain::validators::{GatewayOutcome, Verdict};
use revloop_proto::v1 as pb;
use revloop_store::{ActionRecord, BudgetRecord, Outcome, RecordVersion};

pub fn json_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

pub fn enum_text<T: serde::Serialize>(value: &T) -> String {
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

/// One gateway run with the ledger sequence number of each result.
pub fn gateway_run(a: &ActionRecord, g: &GatewayOutcome) -> pb::GatewayRun {
    let checkpoint = g.checkpoint.as_str();
    let seq = |name: &str| {
        a.ledger_seqs
            .get(&format!("{checkpoint}/{name}"))
            .copied()
            .unwrap_or(0)
    };
    pb::GatewayRun {
        checkpoint: checkpoint.to_string(),
        aggregate: g.aggregate.as_str().to_string(),
        results: g
            .results
            .iter()
            .map(|r| pb::ValidatorResult {
                validator: r.validator.clone(),
                result: r.result.as_str().to_string(),
                reason: r.reason.clone(),
                details_json: json_text(&r.details),
                ledger_seq: seq(&r.validator),
            })
            .collect(),
        aggregate_ledger_seq: seq("aggregate"),
    }
}

pub fn budget_result(b: &BudgetRecord) -> pb::BudgetResult {
    pb::BudgetResult {
        operation: b.operation.clone(),
        cost_class: enum_text(&b.cost_class),
        result: b.decision.verdict.as_str().to_string(),
        reason: b.decision.reason(),
        details_json: json_text(&b.decision.results),
        ledger_seq: b.ledger_seq,
    }
}

pub fn outcome(o: &Outcome) -> pb::Outcome {
    pb::Outcome {
        outcome_id: o.outcome_id.clone(),
        kind: o.kind.clone(),
        diff_json: o.diff.as_ref().map(json_text).unwrap_or_default(),
        reason: o.reason.clone().unwrap_or_default(),
        actor: o.actor.clone().unwrap_or_default(),
        at: o.at.to_rfc3339(),
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
        validations: a.validations.iter().map(|g| gateway_run(a, g)).collect(),
        snapshot_ref: a.snapshot_ref.clone().unwrap_or_default(),
        budget: a.budget.iter().map(budget_result).collect(),
        outcomes: Vec::new(),
        decision_id: a.decision_id.clone(),
        world_snapshots: a.world_snapshots.clone(),
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
        requires_approval: a.needs_approval(),
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

/// Every validator and budget result of an action, worst-first reasons in the order they
/// happened, and the overall verdict.
pub fn explanation(a: &ActionRecord) -> pb::ExplainActionResponse {
    let mut verdict = Verdict::Allow;
    let mut reasons = Vec::new();
    // Budget decisions of the model call come first (they preceded the proposal); the tool
    // call's come after the gateway runs before execution.
    let (before, after): (Vec<&BudgetRecord>, Vec<&BudgetRecord>) = a
        .budget
        .iter()
        .partition(|b| b.operation.starts_with("model:"));
    let note_budget = |b: &BudgetRecord, verdict: &mut Verdict, reasons: &mut Vec<String>| {
        *verdict = (*verdict).max(b.decision.verdict);
        if b.decision.verdict != Verdict::Allow {
            reasons.push(format!(
                "{} {}: {} (ledger #{})",
                b.operation,
                b.decision.verdict.as_str(),
                b.decision.reason(),
                b.ledger_seq
            ));
        }
    };
    for b in &before {
        note_budget(b, &mut verdict, &mut reasons);
    }
    for g in &a.validations {
        verdict = verdict.max(g.aggregate);
        for r in g.results.iter().filter(|r| r.result != Verdict::Allow) {
            let seq = a
                .ledger_seqs
                .get(&format!("{}/{}", g.checkpoint.as_str(), r.validator))
                .copied()
                .unwrap_or(0);
            reasons.push(format!(
                "{} at {}: {} — {} (ledger #{seq})",
                r.validator,
                g.checkpoint.as_str(),
                r.result.as_str(),
                r.reason
            ));
        }
    }
    for b in &after {
        note_budget(b, &mut verdict, &mut reasons);
    }
    pb::ExplainActionResponse {
        action_id: a.action_id.clone(),
        status: a.status.as_str().to_string(),
        snapshot_ref: a.snapshot_ref.clone().unwrap_or_default(),
        world_snapshots: a.world_snapshots.clone(),
        verdict: verdict.as_str().to_string(),
        gateway_runs: a.validations.iter().map(|g| gateway_run(a, g)).collect(),
        budget: a.budget.iter().map(budget_result).collect(),
        reasons,
        route: if a.needs_approval() {
            "approval"
        } else {
            "autonomous"
        }
        .into(),
        route_rule: a
            .routing
            .as_ref()
            .map(|r| r.rule.clone())
            .unwrap_or_else(|| "action class (proposed before the write-back policy)".into()),
        route_reason: a
            .routing
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
        decided_by: a.decided_by.clone().unwrap_or_default(),
    }
}

/// A "what next?" answer on the wire.
pub fn next_actions(a: &revloop_activities::contracts::NextActions) -> pb::AskNextActionsResponse {
    pb::AskNextActionsResponse {
        account_id: a.account_id.clone(),
        message: a.message.clone(),
        model: a.model.clone(),
        reason: a.reason.clone(),
        signal_count: a.signal_count as u32,
        proposals: a
            .proposals
            .iter()
            .map(|p| pb::SuggestedAction {
                rank: p.rank,
                kind: p.kind.clone(),
                title: p.title.clone(),
                why_now: p.why_now.clone(),
                confidence: p.confidence,
                requires_approval: p.requires_approval,
                playbook: p.playbook.clone(),
                evidence_refs: p.evidence_refs.clone(),
            })
            .collect(),
        ledger_seq: a.ledger_seq,
    }
}

pub fn plan(p: &revloop_store::PlanRecord) -> pb::Plan {
    pb::Plan {
        plan_id: p.plan_id.clone(),
        tenant_id: p.tenant_id.clone(),
        account_id: p.account_id.clone(),
        name: p.name.clone(),
        title: p.title.clone(),
        why_now: p.why_now.clone(),
        status: p.status.as_str().into(),
        approval: match p.approval {
            revloop_domain::decision::plan::PlanApproval::Whole => "whole".into(),
            revloop_domain::decision::plan::PlanApproval::PerStep => "per_step".into(),
        },
        held_by: p.held_by.clone().unwrap_or_default(),
        reason: p
            .end
            .as_ref()
            .map(revloop_domain::decision::plan::PlanEnd::describe)
            .unwrap_or_default(),
        steps: p
            .steps
            .iter()
            .map(|s| pb::PlanStep {
                step: s.step,
                action_id: s.action_id.clone(),
                kind: s.kind.clone(),
                title: s.title.clone(),
                needs_approval: s.needs_approval,
                customer_facing: s.customer_facing,
                status: s.status.as_str().into(),
                detail: s.detail.clone(),
            })
            .collect(),
        events: p
            .events
            .iter()
            .map(|e| pb::PlanEvent {
                command: e.command.clone(),
                step: e.step.unwrap_or_default(),
                accepted: e.accepted,
                by: e.by.clone().unwrap_or_default(),
                error: e.error.clone().unwrap_or_default(),
                at: e.at.to_rfc3339(),
            })
            .collect(),
        workflow_id: crate::services::plan_workflow_id(&p.tenant_id, &p.plan_id),
        decision_id: p.decision_id.clone(),
        trace_id: p.trace_id.clone(),
        created_at: p.created_at.to_rfc3339(),
        updated_at: p.updated_at.to_rfc3339(),
        awaiting_step: p.awaiting_step.unwrap_or_default(),
        touches: p.touches.clone(),
    }
}
