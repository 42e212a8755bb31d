//! Right before a customer-facing action leaves revloop, its recipient is checked against the
//! contact's *current* record, not the snapshot planning used: an approval granted on Monday
//! must not send on Thursday to someone who left the account on Tuesday. This is the one check
//! that reads past the snapshot, so it runs only at `before_external_writeback`, and the
//! activity hands it the current record (it fetches nothing itself).

use serde_json::json;

use super::{ValidatorResult, Verdict, result};
use crate::decision::Proposal;
use crate::records::Contact;

/// Its name in the ledger and metrics; never rename.
pub const NAME: &str = "recipient_current";

/// Judges the recipient of `proposal` by `current`, the contact's latest record (with its
/// evidence ref), or `None` when revloop no longer has one.
pub fn check(proposal: &Proposal, current: Option<(&Contact, &str)>) -> ValidatorResult {
    let contact_id = proposal.params["contact_id"].as_str().unwrap_or_default();
    if !proposal.kind.is_customer_facing() || contact_id.is_empty() {
        return result(NAME, Verdict::Allow, vec![], json!({}));
    }
    let to = proposal.params["to"].as_str().unwrap_or_default();
    let Some((contact, evidence_ref)) = current else {
        return result(
            NAME,
            Verdict::Block,
            vec![format!("recipient contact {contact_id} is no longer known")],
            json!({ "contact_id": contact_id }),
        );
    };
    let details = json!({ "contact_id": contact_id, "evidence_ref": evidence_ref, "to": to });
    if !contact.active {
        return result(
            NAME,
            Verdict::Block,
            vec![format!(
                "recipient {} is no longer active at the account ({evidence_ref})",
                contact.name
            )],
            details,
        );
    }
    let current_address = contact.email.as_deref().unwrap_or_default();
    if !current_address.eq_ignore_ascii_case(to) {
        return result(
            NAME,
            Verdict::Block,
            vec![format!(
                "the action writes to {to}, but {}'s address is now {current_address:?} ({evidence_ref})",
                contact.name
            )],
            details,
        );
    }
    result(NAME, Verdict::Allow, vec![], details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::ActionKind;

    fn follow_up() -> Proposal {
        Proposal::new_for("d1", ActionKind::SendFollowUp)
            .params(
                json!({ "to": "ada@acme.test", "contact_id": "ada", "subject": "s", "body": "b" }),
            )
            .build()
    }

    fn contact(active: bool, email: &str) -> Contact {
        let line = format!(
            r#"{{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada","email":"{email}","role":"champion","active":{active}}}"#
        );
        match crate::records::parse_line(1, &line).unwrap() {
            crate::records::Record::Contact(c) => c,
            _ => unreachable!(),
        }
    }

    #[test]
    fn an_active_recipient_at_the_same_address_passes() {
        let c = contact(true, "ada@acme.test");
        assert_eq!(
            check(&follow_up(), Some((&c, "rec:contact:ada@1"))).result,
            Verdict::Allow
        );
    }

    #[test]
    fn a_recipient_who_left_or_moved_blocks() {
        let gone = contact(false, "ada@acme.test");
        let r = check(&follow_up(), Some((&gone, "rec:contact:ada@2")));
        assert_eq!(r.result, Verdict::Block);
        assert!(r.reason.contains("no longer active"), "{}", r.reason);
        let moved = contact(true, "ada@elsewhere.test");
        assert!(
            check(&follow_up(), Some((&moved, "r")))
                .reason
                .contains("address is now")
        );
        assert_eq!(check(&follow_up(), None).result, Verdict::Block);
    }

    #[test]
    fn internal_actions_have_no_recipient_to_check() {
        let task = Proposal::new_for("d1", ActionKind::CreateTask)
            .params(json!({"title": "t"}))
            .build();
        assert_eq!(check(&task, None).result, Verdict::Allow);
    }
}
