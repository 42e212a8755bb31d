//! The executor shape of the customer-facing emails (send_follow_up, send_email,
//! request_meeting): sent over SMTP through the tenant's `[mail]` server, exactly once per
//! action. An outbox row is recorded before the send and the sent effect after it, both under
//! the action's key; a retry that finds the sent effect sends nothing, and one that follows a
//! send whose record was lost sends with the same Message-ID, which the receiver recognises.
//! A meeting request carries an iCalendar invitation. Without a `[mail]` table the email is
//! queued in revloop's outbox, as the action's result says.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, MultiPart, SinglePart};
use revloop_domain::decision::ActionKind;
use revloop_domain::decision::invitation::{Invitation, proposed_start};
use revloop_domain::mail_config::MailConfig;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::{Value, json};

use super::{ActionExecutor, ExecutorError, record, recorded, required_payload};
use crate::smtp::{SmtpError, SmtpSender, message_id};

/// What an email's result says when no mailer is configured.
pub const QUEUED: &str = "queued in revloop's outbox (no mailer configured)";

pub struct EmailExecutor {
    store: Arc<dyn Store>,
    smtp: SmtpSender,
    kind: ActionKind,
    /// Parameters kept when present, beyond the required ones.
    optional: &'static [&'static str],
}

impl EmailExecutor {
    pub fn new(
        store: Arc<dyn Store>,
        smtp: SmtpSender,
        kind: ActionKind,
        optional: &'static [&'static str],
    ) -> Self {
        Self {
            store,
            smtp,
            kind,
            optional,
        }
    }

    async fn mail(&self, tenant_id: &str) -> Result<Option<MailConfig>, ExecutorError> {
        Ok(self
            .store
            .get_tenant(tenant_id)
            .await?
            .and_then(|t| t.config.mail))
    }
}

fn text<'a>(payload: &'a Value, name: &str) -> &'a str {
    payload[name].as_str().unwrap_or_default()
}

/// The message the action sends: its text, and for a meeting request the invitation, whose
/// start is the action's `starts_at` or a proposed weekday morning.
fn message(
    action: &ActionRecord,
    mail: &MailConfig,
    payload: &mut Value,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Message, ExecutorError> {
    let invalid = |m: String| ExecutorError::Invalid(format!("action {}: {m}", action.action_id));
    let to = text(payload, "to").to_string();
    let mut builder = Message::builder()
        .message_id(Some(id.to_string()))
        .from(
            mail.from
                .parse()
                .map_err(|e| invalid(format!("mail.from: {e}")))?,
        )
        .to(to.parse().map_err(|e| invalid(format!("to {to}: {e}")))?)
        .subject(text(payload, "subject"));
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(
            reply_to
                .parse()
                .map_err(|e| invalid(format!("mail.reply_to: {e}")))?,
        );
    }
    let body = text(payload, "body").to_string();
    let built = if action.proposal.kind == ActionKind::RequestMeeting {
        let starts_at = payload["starts_at"]
            .as_str()
            .and_then(|s| s.parse::<DateTime<Utc>>().ok())
            .unwrap_or_else(|| proposed_start(now));
        let minutes = payload["duration_minutes"]
            .as_u64()
            .or_else(|| payload["duration_minutes"].as_str()?.parse().ok())
            .filter(|m| (5..=480).contains(m))
            .ok_or_else(|| invalid("duration_minutes: 5 to 480 minutes".into()))?;
        payload["starts_at"] = json!(starts_at.to_rfc3339());
        let ics = Invitation {
            uid: &format!("{}@revloop", action.action_id),
            organizer: &mail.from,
            attendee: &to,
            summary: text(payload, "subject"),
            description: &body,
            starts_at,
            minutes: minutes as u32,
            stamp: now,
        }
        .to_ics();
        let calendar = ContentType::parse("text/calendar; method=REQUEST; charset=utf-8")
            .map_err(|e| invalid(format!("content type: {e}")))?;
        builder.multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(Attachment::new("invite.ics".into()).body(ics, calendar)),
        )
    } else {
        builder.header(ContentType::TEXT_PLAIN).body(body)
    };
    built.map_err(|e| invalid(format!("message: {e}")))
}

#[async_trait]
impl ActionExecutor for EmailExecutor {
    fn kind(&self) -> ActionKind {
        self.kind
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let mut payload = required_payload(action, self.optional)?;
        let Some(mail) = self.mail(&action.tenant_id).await? else {
            payload["delivery"] = json!(QUEUED);
            return record(&*self.store, action, key, "email_queued", payload, now).await;
        };
        // Sent and recorded already: a retry never sends again.
        if let Some(sent) = recorded(&*self.store, action, key).await? {
            return Ok((sent, false));
        }
        let id = message_id(key);
        payload["message_id"] = json!(id);
        let message = message(action, &mail, &mut payload, &id, now)?;
        let mut outbox = payload.clone();
        outbox["state"] = json!("sending");
        record(
            &*self.store,
            action,
            &format!("{key}/outbox"),
            "email_outbox",
            outbox,
            now,
        )
        .await?;
        let host = self
            .smtp
            .send(&action.tenant_id, &mail.smtp_url_ref, message)
            .await
            .map_err(|e| match e {
                SmtpError::Config(m) => {
                    ExecutorError::Invalid(format!("action {}: {m}", action.action_id))
                }
                SmtpError::Transient(m) => ExecutorError::Transient(m),
            })?;
        payload["delivery"] = json!(format!("sent over SMTP via {host}"));
        record(&*self.store, action, key, "email_sent", payload, now).await
    }

    /// A queued email is withdrawn; a delivered one cannot be unsent, and says so.
    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        if let Some(sent) = recorded(&*self.store, action, key).await?
            && sent.kind == "email_sent"
        {
            return Err(ExecutorError::Invalid(format!(
                "action {}: the email was delivered (Message-ID {}); it cannot be unsent",
                action.action_id,
                text(&sent.payload, "message_id")
            )));
        }
        let payload = required_payload(action, self.optional)?;
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            "email_withdrawn",
            payload,
            now,
        )
        .await
    }
}
