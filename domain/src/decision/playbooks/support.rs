//! What playbooks share: picking the signals they answer, citing them, choosing a recipient,
//! and the internal task that stands in when revloop knows no one to write to.

use serde_json::{Value, json};

use super::PlaybookInput;
use crate::decision::actions::ActionKind;
use crate::decision::proposal::Proposal;
use crate::records::ContactRole;
use crate::signals::{Signal, SignalType};
use crate::world::ContactFact;

/// The input's signals of one type, in id order.
pub fn signals_of<'a>(input: &PlaybookInput<'a>, signal_type: SignalType) -> Vec<&'a Signal> {
    let mut found: Vec<&Signal> = input
        .signals
        .iter()
        .filter(|s| s.signal_type == signal_type)
        .collect();
    found.sort_by(|a, b| a.signal_id.cmp(&b.signal_id));
    found
}

/// The evidence refs (deduplicated, sorted) and signal ids of the signals a proposal rests on.
pub fn cite(signals: &[&Signal]) -> (Vec<String>, Vec<String>) {
    let mut refs: Vec<String> = signals
        .iter()
        .flat_map(|s| s.evidence_refs.clone())
        .collect();
    refs.sort();
    refs.dedup();
    let mut ids: Vec<String> = signals.iter().map(|s| s.signal_id.clone()).collect();
    ids.sort();
    ids.dedup();
    (refs, ids)
}

/// The strongest confidence among the signals, scaled by how sure the playbook is of its answer.
pub fn confidence(signals: &[&Signal], playbook_certainty: f64) -> f64 {
    let strongest = signals.iter().map(|s| s.confidence).fold(0.0_f64, f64::max);
    ((strongest * playbook_certainty) * 100.0).round() / 100.0
}

/// A reachable contact (active, with an address no trusted source disputes), the first of
/// `roles` that has one, then the primary contact. A customer-facing proposal needs one.
pub fn recipient<'a>(input: &PlaybookInput<'a>, roles: &[ContactRole]) -> Option<&'a ContactFact> {
    let reachable = || input.facts.contacts().iter().filter(|c| c.reachable());
    roles
        .iter()
        .find_map(|role| {
            reachable()
                .filter(|c| c.role == *role)
                .max_by_key(|c| (c.is_primary, std::cmp::Reverse(c.id.clone())))
        })
        .or_else(|| reachable().find(|c| c.is_primary))
}

/// A reachable contact by id.
pub fn reachable_contact<'a>(
    input: &PlaybookInput<'a>,
    contact_id: &str,
) -> Option<&'a ContactFact> {
    input
        .facts
        .contacts()
        .iter()
        .find(|c| c.id == contact_id && c.reachable())
}

pub fn first_name(contact: &ContactFact) -> &str {
    contact
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&contact.name)
}

/// The account's owner, who internal tasks go to.
pub fn owner(input: &PlaybookInput<'_>) -> Value {
    json!(input.facts.owner())
}

pub fn account_name(input: &PlaybookInput<'_>) -> String {
    input.facts.account_name()
}

/// The opportunity a signal names: its id, and its name with the amount ("Acme expansion
/// ($50,000)") as a seller reads it.
pub fn opportunity_of(input: &PlaybookInput<'_>, signal: &Signal) -> (String, String, String) {
    let id = text(signal, "opportunity_id").to_string();
    let name = input
        .facts
        .opportunities()
        .iter()
        .find(|o| o.id == id)
        .map_or_else(|| id.clone(), |o| o.name.clone());
    let amount = signal.details["amount"]
        .as_i64()
        .map(|a| format!(" ({})", money(a)))
        .unwrap_or_default();
    let labelled = format!("{name}{amount}");
    (id, name, labelled)
}

/// A signal detail as text, or `""`.
pub fn text<'a>(signal: &'a Signal, key: &str) -> &'a str {
    signal
        .details
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// A signal detail as a number.
pub fn number(signal: &Signal, key: &str) -> Option<f64> {
    signal.details.get(key).and_then(Value::as_f64)
}

/// A number as a seller reads it: no trailing `.0`, at most one decimal.
pub fn shown(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{}", rounded as i64)
    } else {
        format!("{rounded:.1}")
    }
}

/// Money in whole units with thousands separators (`$120,000`).
pub fn money(minor_or_units: i64) -> String {
    let digits = minor_or_units.abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}${grouped}", if minor_or_units < 0 { "-" } else { "" })
}

/// "a", "a and b", "a, b and c".
pub fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// When no one can be written to: an internal task to find the right person, with what the
/// customer-facing action would have been for. One per decision (playbooks asking for the same
/// thing merge into it).
pub fn find_the_right_person(
    input: &PlaybookInput<'_>,
    signals: &[&Signal],
    purpose: &str,
    why_now: String,
) -> Proposal {
    let (refs, ids) = cite(signals);
    let account = account_name(input);
    Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, "find_contact")
        .title(format!("Find the right contact at {account} to {purpose}"))
        .why_now(format!(
            "{why_now}; revloop has no active contact with an email address to write to"
        ))
        .confidence(confidence(signals, 0.8))
        .evidence(refs, ids)
        .params(json!({
            "title": format!("Find the right contact at {account} to {purpose}"),
            "owner": owner(input),
        }))
        .build()
}

/// A due date `days` from now, as a calendar date.
pub fn due_in(input: &PlaybookInput<'_>, days: i64) -> Value {
    json!((input.now + chrono::Duration::days(days)).date_naive())
}

/// A check-in email to one contact. Keyed by purpose and recipient: two playbooks asking for a
/// check-in with the same person give one email.
pub fn check_in_email(
    input: &PlaybookInput<'_>,
    contact: &ContactFact,
    signals: &[&Signal],
    why_now: String,
    opening: &str,
    certainty: f64,
) -> Proposal {
    let (refs, ids) = cite(signals);
    let purpose = crate::decision::actions::EmailPurpose::CheckIn;
    Proposal::new_keyed(
        input.decision_id,
        ActionKind::SendEmail,
        &format!("{}:{}", purpose.as_str(), contact.id),
    )
    .title(format!("Check in with {}", contact.name))
    .why_now(why_now)
    .confidence(confidence(signals, certainty))
    .evidence(refs, ids)
    .params(json!({
        "to": contact.email,
        "contact_id": contact.id,
        "purpose": purpose.as_str(),
        "subject": format!("Checking in, {}", first_name(contact)),
        "body": format!(
            "Hi {},\n\n{opening} Is there anything getting in the way that we could help with?\n\nThanks,",
            first_name(contact)
        ),
    }))
    .build()
}
