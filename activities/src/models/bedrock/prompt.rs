//! The system prompt and the account context a Bedrock decision starts from. The context is
//! compact text built from the account state (posture, risks, unknowns), the signals being
//! decided with their evidence refs, and what memory recalled; the model reads more through
//! the tools.

use std::fmt::Write;

use super::super::DecisionContext;
use super::SUBMIT_DECISION;

pub fn system_prompt() -> String {
    format!(
        "You are revloop's decision agent for a revenue team. For one account, decide what the \
team should do next, in revloop's decision protocol: ACTION_PROPOSALS (each proposal an action \
kind with its params, a title, why now, a confidence from 0 to 1 and the evidence_refs it rests \
on), CLARIFICATION_REQUEST (questions a person must answer first) or NO_ACTION (with the \
reason). Use the read tools to learn what you need; cite only evidence_refs you were shown, in \
this message or in a tool result. Customer-facing actions are always approved by a person; \
CRM changes usually are. Submit your answer by calling {SUBMIT_DECISION} exactly once."
    )
}

/// The account as the model first sees it.
pub fn context_text(context: &DecisionContext<'_>) -> String {
    let state = &context.facts.state;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Account {} ({}), as of {}. Decision {}.",
        context.facts.account_id,
        context.facts.account_name(),
        context.now.format("%Y-%m-%d %H:%M UTC"),
        context.decision_id
    );
    let _ = writeln!(text, "Posture: {:?}.", state.posture);
    for risk in &state.top_risks {
        let _ = writeln!(
            text,
            "Risk: {}",
            serde_json::to_string(risk).unwrap_or_default()
        );
    }
    for unknown in &state.unknowns {
        let _ = writeln!(
            text,
            "Unknown: {}",
            serde_json::to_string(unknown).unwrap_or_default()
        );
    }
    let _ = writeln!(text, "Signals being decided:");
    for s in context.signals {
        let _ = writeln!(
            text,
            "- {} {:?} severity {:?} confidence {:.2}, evidence_refs {:?}, details {}",
            s.signal_id, s.signal_type, s.severity, s.confidence, s.evidence_refs, s.details
        );
    }
    if !context.memory.is_empty() {
        let _ = writeln!(text, "What notes, meetings and tickets say:");
        for hit in context.memory {
            let _ = writeln!(
                text,
                "- [{}] {} (evidence_ref {})",
                hit.chunk.kind, hit.chunk.text, hit.chunk.evidence_ref
            );
        }
    }
    let _ = writeln!(
        text,
        "Use the tools with account_id {:?}.",
        context.facts.account_id
    );
    text
}
