//! A new executive at the account: an introduction email to them (for approval), or a task to
//! introduce yourself when revloop has no address for them.

use serde_json::json;

use super::support::{
    cite, confidence, due_in, first_name, owner, reachable_contact, signals_of, text,
};
use super::{Playbook, PlaybookInput};
use crate::decision::actions::{ActionKind, EmailPurpose};
use crate::decision::proposal::Proposal;
use crate::signals::SignalType;

pub struct ExecutiveIntroductionPlaybook;

impl Playbook for ExecutiveIntroductionPlaybook {
    fn name(&self) -> &'static str {
        "executive_introduction"
    }

    fn answers(&self) -> &'static [SignalType] {
        &[SignalType::ExecutiveChange]
    }

    fn propose(&self, input: &PlaybookInput<'_>) -> Vec<Proposal> {
        signals_of(input, SignalType::ExecutiveChange)
            .into_iter()
            .map(|s| {
                let name = text(s, "name");
                let title = s.details["title"].as_str().map(|t| format!(", {t}")).unwrap_or_default();
                let why = format!("{name}{title} {} at {}", text(s, "change").replace('_', " "), input.facts.account_name());
                let (refs, ids) = cite(&[s]);
                let purpose = EmailPurpose::Introduction;
                match reachable_contact(input, text(s, "contact_id")) {
                    Some(exec) => Proposal::new_keyed(
                        input.decision_id,
                        ActionKind::SendEmail,
                        &format!("{}:{}", purpose.as_str(), exec.id),
                    )
                    .title(format!("Introduce yourself to {}", exec.name))
                    .why_now(why)
                    .confidence(confidence(&[s], 0.7))
                    .evidence(refs, ids)
                    .params(json!({
                        "to": exec.email,
                        "contact_id": exec.id,
                        "purpose": purpose.as_str(),
                        "subject": format!("Introduction, {}", first_name(exec)),
                        "body": format!(
                            "Hi {},\n\nCongratulations on the new role. I look after your team's account with us and would be glad to introduce myself and hear your priorities.\n\nThanks,",
                            first_name(exec)
                        ),
                    }))
                    .build(),
                    None => Proposal::new_keyed(input.decision_id, ActionKind::CreateTask, &format!("{}:{}", self.name(), text(s, "contact_id")))
                        .title(format!("Introduce yourself to {name}{title}"))
                        .why_now(format!("{why}; revloop has no email address for them"))
                        .confidence(confidence(&[s], 0.7))
                        .evidence(refs, ids)
                        .params(json!({
                            "title": format!("Find {name}'s address and introduce yourself"),
                            "due_date": due_in(input, 5),
                            "owner": owner(input),
                        }))
                        .build(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const NEW_CFO: &str = r#"{"type":"contact","id":"cfo","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Cleo Fox","title":"CFO","email":"cleo@acme.test","role":"decision_maker","active":true}"#;
    const NEW_CFO_NO_MAIL: &str = r#"{"type":"contact","id":"cfo","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Cleo Fox","title":"CFO","role":"decision_maker","active":true}"#;

    fn change() -> crate::signals::Signal {
        signal(
            SignalType::ExecutiveChange,
            json!({"contact_id": "cfo", "name": "Cleo Fox", "change": "joined", "title": "CFO"}),
        )
    }

    #[test]
    fn the_new_executive_gets_an_introduction() {
        let p = propose(
            &ExecutiveIntroductionPlaybook,
            &view(&[ACCOUNT, NEW_CFO]),
            &[change()],
        );
        assert_eq!(kinds(&p), ["send_email"]);
        assert_eq!(p[0].params["purpose"], "introduction");
        assert_eq!(p[0].why_now, "Cleo Fox, CFO joined at Acme");
    }

    #[test]
    fn without_an_address_a_task() {
        let p = propose(
            &ExecutiveIntroductionPlaybook,
            &view(&[ACCOUNT, NEW_CFO_NO_MAIL]),
            &[change()],
        );
        assert_eq!(kinds(&p), ["create_task"]);
        assert!(p[0].why_now.ends_with("no email address for them"));
    }
}
