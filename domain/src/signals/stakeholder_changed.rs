//! STAKEHOLDER_CHANGED: a champion, economic buyer or decision maker is added, deactivated, or
//! changes role.

use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{Contact, ContactRole, Record};
use crate::world::record_ref;

pub struct StakeholderChangedDetector;

pub(crate) fn is_key_role(role: ContactRole) -> bool {
    matches!(
        role,
        ContactRole::Champion | ContactRole::EconomicBuyer | ContactRole::DecisionMaker
    )
}

pub(crate) fn role_name(role: ContactRole) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// How a contact changed in this batch, if it did in a way stakeholder tracking cares about.
pub(crate) enum ContactChange<'a> {
    Added,
    Deactivated(&'a Contact),
    RoleChanged(&'a Contact),
    TitleChanged(&'a Contact),
}

pub(crate) fn contact_changes<'a>(
    ctx: &'a DetectionContext<'_>,
    contact: &Contact,
) -> Vec<ContactChange<'a>> {
    let record = Record::Contact(contact.clone());
    if ctx.is_new(&record) {
        return if contact.active {
            vec![ContactChange::Added]
        } else {
            Vec::new()
        };
    }
    let Some(Record::Contact(before)) = ctx.previous_of(&record) else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    if before.active && !contact.active {
        changes.push(ContactChange::Deactivated(before));
    }
    if before.role != contact.role {
        changes.push(ContactChange::RoleChanged(before));
    }
    if before.title != contact.title {
        changes.push(ContactChange::TitleChanged(before));
    }
    changes
}

impl SignalDetector for StakeholderChangedDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::StakeholderChanged
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        for contact in &ctx.current.contacts {
            let record = Record::Contact(contact.clone());
            for change in contact_changes(ctx, contact) {
                let (what, before) = match change {
                    ContactChange::Added if is_key_role(contact.role) => {
                        ("added".to_string(), None)
                    }
                    ContactChange::Deactivated(b)
                        if is_key_role(contact.role) || is_key_role(b.role) =>
                    {
                        ("deactivated".to_string(), Some(b))
                    }
                    ContactChange::RoleChanged(b)
                        if is_key_role(contact.role) || is_key_role(b.role) =>
                    {
                        (
                            format!("role:{}->{}", role_name(b.role), role_name(contact.role)),
                            Some(b),
                        )
                    }
                    _ => continue,
                };
                let mut evidence_refs = vec![ctx.current_ref(&record)];
                if let Some(b) = before {
                    evidence_refs.insert(0, record_ref(&Record::Contact(b.clone())));
                }
                out.push(Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::StakeholderChanged,
                        account_id: contact.account_id.clone(),
                        severity: if what == "deactivated" {
                            Severity::High
                        } else {
                            Severity::Medium
                        },
                        confidence: 0.9,
                        evidence_refs,
                        expires_at: ctx.now + chrono::Duration::days(14),
                        dedup_key: format!(
                            "contact:{}:{what}@{}",
                            contact.id,
                            contact.updated_at.to_rfc3339()
                        ),
                        details: json!({
                            "contact_id": contact.id,
                            "name": contact.name,
                            "change": what,
                            "role": role_name(contact.role),
                        }),
                    },
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;

    fn contact(role: &str, active: bool) -> Record {
        record(&format!(
            r#"{{"type":"contact","id":"p1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Maria Lopez","title":"Director","role":"{role}","active":{active}}}"#
        ))
    }

    #[test]
    fn added_deactivated_and_role_changes_of_key_people_fire() {
        assert_eq!(
            run(
                &StakeholderChangedDetector,
                vec![contact("champion", true)],
                &[]
            )
            .len(),
            1
        );
        let gone = run(
            &StakeholderChangedDetector,
            vec![contact("champion", false)],
            &[contact("champion", true)],
        );
        assert_eq!(gone[0].details["change"], "deactivated");
        let moved = run(
            &StakeholderChangedDetector,
            vec![contact("user", true)],
            &[contact("economic_buyer", true)],
        );
        assert_eq!(moved[0].details["change"], "role:economic_buyer->user");
    }

    #[test]
    fn other_roles_and_unchanged_people_do_not() {
        assert!(
            run(
                &StakeholderChangedDetector,
                vec![contact("user", true)],
                &[]
            )
            .is_empty()
        );
        assert!(
            run(
                &StakeholderChangedDetector,
                vec![contact("other", true)],
                &[contact("user", true)]
            )
            .is_empty()
        );
        assert!(
            run(
                &StakeholderChangedDetector,
                vec![contact("champion", true)],
                &[contact("champion", true)]
            )
            .is_empty()
        );
        assert!(
            run(
                &StakeholderChangedDetector,
                vec![contact("champion", false)],
                &[]
            )
            .is_empty(),
            "an inactive newcomer changes nothing"
        );
    }
}
