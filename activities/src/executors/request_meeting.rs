//! Asks a contact for a meeting: an email carrying an iCalendar invitation (at the action's `starts_at`,
//! or a proposed weekday morning).
//! Customer-facing: the workflow only gets here after a person approved it. Sent as every
//! customer email is (`email.rs`): once, over the tenant's `[mail]` server, or queued in
//! revloop's outbox when none is configured.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::email::EmailExecutor;
use crate::smtp::SmtpSender;

pub struct RequestMeetingExecutor;

impl RequestMeetingExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>, smtp: SmtpSender) -> EmailExecutor {
        EmailExecutor::new(
            store,
            smtp,
            ActionKind::RequestMeeting,
            &["contact_id", "starts_at"],
        )
    }
}
