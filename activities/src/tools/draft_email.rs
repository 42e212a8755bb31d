//! `draft_email`: a customer email drafted from the account's facts, for a person (or the
//! model) to read and change. Never sent: sending is a `send_email` action, which waits for a
//! person's approval.

use async_trait::async_trait;
use revloop_domain::budget::CostClass;
use revloop_domain::decision::EmailPurpose;
use revloop_domain::world::{AccountFacts, ContactFact};
use serde_json::{Value, json};

use super::{
    Access, Tool, ToolAnswer, ToolData, ToolError, ToolSpec, account_arguments, load_account,
    requiring,
};

pub struct DraftEmail;

const PURPOSES: [&str; 4] = [
    "check_in",
    "introduction",
    "congratulations",
    "renewal_sponsor",
];

fn purpose(name: &str) -> EmailPurpose {
    match name {
        "introduction" => EmailPurpose::Introduction,
        "congratulations" => EmailPurpose::Congratulations,
        "renewal_sponsor" => EmailPurpose::RenewalSponsor,
        _ => EmailPurpose::CheckIn,
    }
}

/// The subject and body for one purpose, addressed to the contact by first name.
pub fn draft(
    facts: &AccountFacts,
    contact: &ContactFact,
    purpose: EmailPurpose,
    points: &str,
) -> (String, String) {
    let first = contact
        .name
        .split_whitespace()
        .next()
        .unwrap_or(&contact.name);
    let account = facts.account_name();
    let (subject, opening) = match purpose {
        EmailPurpose::CheckIn => (
            format!("Checking in, {first}"),
            "I wanted to check in on how things are going with the team.".to_string(),
        ),
        EmailPurpose::Introduction => (
            format!("Introduction: {account} and our team"),
            "I would like to introduce myself as your point of contact.".to_string(),
        ),
        EmailPurpose::Congratulations => (
            format!("Congratulations, {first}"),
            format!("Congratulations to you and everyone at {account} on the news."),
        ),
        EmailPurpose::RenewalSponsor => (
            format!("{account}: planning the year ahead together"),
            "As your renewal comes up, I would value a conversation about what is working and what is not.".to_string(),
        ),
    };
    let points = points.trim();
    let middle = if points.is_empty() {
        String::new()
    } else {
        format!("\n\n{points}")
    };
    let body = format!(
        "Hi {first},\n\n{opening}{middle}\n\nWould you have 30 minutes in the next two weeks?\n\nThanks,"
    );
    (subject, body)
}

#[async_trait]
impl Tool for DraftEmail {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "draft_email",
            description: "Drafts an email to one of the account's contacts for a purpose (check_in, introduction, congratulations, renewal_sponsor), with optional points to make. Returns the recipient, subject and body, and the evidence_ref of the contact. Nothing is sent: to send it, propose a send_email action, which a person approves.",
            parameters: requiring(
                account_arguments(json!({
                    "contact_id": {"type": "string", "minLength": 1, "maxLength": 200},
                    "purpose": {"enum": PURPOSES},
                    "points": {"type": "string", "maxLength": 2000, "description": "What the email should say, in a sentence or two."}
                })),
                &["contact_id", "purpose"],
            ),
            result: json!({
                "type": "object",
                "required": ["to", "contact_id", "purpose", "subject", "body", "evidence_ref", "sent"],
                "properties": {
                    "to": {"type": ["string", "null"]},
                    "contact_id": {"type": "string"},
                    "purpose": {"type": "string"},
                    "subject": {"type": "string"},
                    "body": {"type": "string"},
                    "evidence_ref": {"type": "string"},
                    "sent": {"const": false}
                }
            }),
            cost_class: CostClass::Medium,
            requires_approval: false,
            access: Access::Read,
            example: json!({"account_id": "acme", "contact_id": "c-1", "purpose": "check_in", "points": "Usage dropped since the migration."}),
        }
    }

    async fn call(&self, data: &ToolData<'_>, args: &Value) -> Result<ToolAnswer, ToolError> {
        let account = args["account_id"].as_str().unwrap_or_default();
        let contact_id = args["contact_id"].as_str().unwrap_or_default();
        let facts = load_account(data, account).await?;
        let contact = facts
            .contacts()
            .iter()
            .find(|c| c.id == contact_id)
            .ok_or_else(|| ToolError::Refused {
                tool: "draft_email".into(),
                pointer: "/contact_id".into(),
                message: format!("account {account} has no contact {contact_id:?}"),
            })?;
        let name = args["purpose"].as_str().unwrap_or_default();
        let (subject, body) = draft(
            &facts,
            contact,
            purpose(name),
            args["points"].as_str().unwrap_or_default(),
        );
        Ok(ToolAnswer::Result(json!({
            "to": contact.email,
            "contact_id": contact.id,
            "purpose": name,
            "subject": subject,
            "body": body,
            "evidence_ref": contact.evidence_ref,
            "sent": false,
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn a_draft_greets_the_contact_and_says_the_points() {
        let facts = facts(&[
            ACCOUNT,
            r#"{"type":"contact","id":"c-1","updated_at":"2026-03-01T00:00:00Z","account_id":"acme","name":"Dana Reyes","email":"dana@acme.example","role":"champion"}"#,
        ]);
        let contact = &facts.contacts()[0];
        let (subject, body) = draft(&facts, contact, EmailPurpose::CheckIn, "Usage dropped.");
        assert_eq!(subject, "Checking in, Dana");
        assert!(
            body.starts_with("Hi Dana,") && body.contains("Usage dropped."),
            "{body}"
        );
        let (subject, _) = draft(&facts, contact, EmailPurpose::RenewalSponsor, "");
        assert!(subject.starts_with("Acme"), "{subject}");
    }
}
