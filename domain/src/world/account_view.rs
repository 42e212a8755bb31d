//! Groups an account's latest records by type, sorted by id so every consumer sees one order.

use serde::{Deserialize, Serialize};

use crate::ids::AccountId;
use crate::records::*;

/// The evidence reference of one record version: `rec:{type}:{id}@{first 16 hex of its hash}`.
/// Signals and proposals cite these, and the store resolves them to the exact version.
pub fn record_ref(record: &Record) -> String {
    record_ref_with_hash(record, &record.content_hash())
}

/// [`record_ref`] from a content hash already computed (the diff has it: hashing a record is a
/// JSON round trip, so it is done once per record).
pub fn record_ref_with_hash(record: &Record, content_hash: &str) -> String {
    format!(
        "rec:{}:{}@{}",
        record.record_type(),
        record.id(),
        &content_hash[..16.min(content_hash.len())]
    )
}

/// Every latest record of one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub account_id: Option<AccountId>,
    pub account: Option<Account>,
    pub contacts: Vec<Contact>,
    pub opportunities: Vec<Opportunity>,
    pub contracts: Vec<Contract>,
    pub tickets: Vec<Ticket>,
    pub usage: Vec<Usage>,
    pub meetings: Vec<Meeting>,
    pub activities: Vec<Activity>,
    pub news: Vec<News>,
    pub notes: Vec<Note>,
}

impl AccountView {
    /// Builds the view; input order does not matter.
    pub fn from_records(account_id: AccountId, records: impl IntoIterator<Item = Record>) -> Self {
        let mut view = AccountView {
            account_id: Some(account_id),
            ..Default::default()
        };
        for record in records {
            match record {
                Record::Account(r) => view.account = Some(r),
                Record::Contact(r) => view.contacts.push(r),
                Record::Opportunity(r) => view.opportunities.push(r),
                Record::Contract(r) => view.contracts.push(r),
                Record::Ticket(r) => view.tickets.push(r),
                Record::Usage(r) => view.usage.push(r),
                Record::Meeting(r) => view.meetings.push(r),
                Record::Activity(r) => view.activities.push(r),
                Record::News(r) => view.news.push(r),
                Record::Note(r) => view.notes.push(r),
            }
        }
        view.contacts.sort_by(|a, b| a.id.cmp(&b.id));
        view.opportunities.sort_by(|a, b| a.id.cmp(&b.id));
        view.contracts.sort_by(|a, b| a.id.cmp(&b.id));
        view.tickets.sort_by(|a, b| a.id.cmp(&b.id));
        view.usage
            .sort_by(|a, b| (a.date, &a.metric, &a.id).cmp(&(b.date, &b.metric, &b.id)));
        view.meetings
            .sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        view.activities
            .sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        view.news.sort_by(|a, b| a.id.cmp(&b.id));
        view.notes.sort_by(|a, b| a.id.cmp(&b.id));
        view
    }

    /// Every record of the view, in a fixed order (by type, then as sorted above).
    pub fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let account = self.account.iter().cloned().map(Record::Account);
        account
            .chain(self.contacts.iter().cloned().map(Record::Contact))
            .chain(self.opportunities.iter().cloned().map(Record::Opportunity))
            .chain(self.contracts.iter().cloned().map(Record::Contract))
            .chain(self.tickets.iter().cloned().map(Record::Ticket))
            .chain(self.usage.iter().cloned().map(Record::Usage))
            .chain(self.meetings.iter().cloned().map(Record::Meeting))
            .chain(self.activities.iter().cloned().map(Record::Activity))
            .chain(self.news.iter().cloned().map(Record::News))
            .chain(self.notes.iter().cloned().map(Record::Note))
    }

    pub fn account_name(&self) -> String {
        match (&self.account, &self.account_id) {
            (Some(a), _) => a.name.clone(),
            (None, Some(id)) => id.to_string(),
            (None, None) => String::new(),
        }
    }

    /// The contact a follow-up should go to: the primary active champion, else any primary
    /// active contact, else any active champion.
    pub fn follow_up_contact(&self) -> Option<&Contact> {
        let active = || {
            self.contacts
                .iter()
                .filter(|c| c.active && c.email.is_some())
        };
        active()
            .find(|c| c.is_primary && c.role == ContactRole::Champion)
            .or_else(|| active().find(|c| c.is_primary))
            .or_else(|| active().find(|c| c.role == ContactRole::Champion))
            .or_else(|| active().next())
    }
}
