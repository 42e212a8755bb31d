//! Sends an email (check-in, introduction, congratulations) to one contact.
//! Customer-facing: the workflow only gets here after a person approved it. Sent as every
//! customer email is (`email.rs`): once, over the tenant's `[mail]` server, or queued in
//! revloop's outbox when none is configured.

use std::sync::Arc;

use revloop_domain::decision::ActionKind;
use revloop_store::Store;

use super::email::EmailExecutor;
use crate::smtp::SmtpSender;

pub struct SendEmailExecutor;

impl SendEmailExecutor {
    #[allow(clippy::new_ret_no_self)]
    pub fn new(store: Arc<dyn Store>, smtp: SmtpSender) -> EmailExecutor {
        EmailExecutor::new(store, smtp, ActionKind::SendEmail, &["contact_id"])
    }
}
