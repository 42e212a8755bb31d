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
        view.contacts.sort_by(order::by_id);
        view.opportunities.sort_by(order::by_id);
        view.contracts.sort_by(order::by_id);
        view.tickets.sort_by(order::by_id);
        view.usage.sort_by(order::usage);
        view.meetings.sort_by(order::meeting);
        view.activities.sort_by(order::activity);
        view.news.sort_by(order::by_id);
        view.notes.sort_by(order::by_id);
        view
    }

    /// Puts `record` in place of the record with its key, or adds it, where
    /// [`AccountView::from_records`] would have it: a view kept between batches becomes the
    /// current one by taking the few records that changed, without being built again.
    pub fn upsert(&mut self, record: Record) {
        match record {
            Record::Account(r) => self.account = Some(r),
            Record::Contact(r) => order::put(&mut self.contacts, r, order::by_id),
            Record::Opportunity(r) => order::put(&mut self.opportunities, r, order::by_id),
            Record::Contract(r) => order::put(&mut self.contracts, r, order::by_id),
            Record::Ticket(r) => order::put(&mut self.tickets, r, order::by_id),
            Record::Usage(r) => order::put(&mut self.usage, r, order::usage),
            Record::Meeting(r) => order::put(&mut self.meetings, r, order::meeting),
            Record::Activity(r) => order::put(&mut self.activities, r, order::activity),
            Record::News(r) => order::put(&mut self.news, r, order::by_id),
            Record::Note(r) => order::put(&mut self.notes, r, order::by_id),
        }
    }

    /// The record with this key, as a whole record.
    pub fn get(&self, record_type: &str, id: &str) -> Option<Record> {
        fn find<T: Citable + Clone>(
            list: &[T],
            id: &str,
            whole: fn(T) -> Record,
        ) -> Option<Record> {
            list.iter()
                .find(|r| r.record_id() == id)
                .cloned()
                .map(whole)
        }
        match record_type {
            "account" => self
                .account
                .as_ref()
                .filter(|a| a.record_id() == id)
                .cloned()
                .map(Record::Account),
            "contact" => find(&self.contacts, id, Record::Contact),
            "opportunity" => find(&self.opportunities, id, Record::Opportunity),
            "contract" => find(&self.contracts, id, Record::Contract),
            "ticket" => find(&self.tickets, id, Record::Ticket),
            "usage" => find(&self.usage, id, Record::Usage),
            "meeting" => find(&self.meetings, id, Record::Meeting),
            "activity" => find(&self.activities, id, Record::Activity),
            "news" => find(&self.news, id, Record::News),
            "note" => find(&self.notes, id, Record::Note),
            _ => None,
        }
    }

    /// How many records the view holds.
    pub fn len(&self) -> usize {
        usize::from(self.account.is_some())
            + self.contacts.len()
            + self.opportunities.len()
            + self.contracts.len()
            + self.tickets.len()
            + self.usage.len()
            + self.meetings.len()
            + self.activities.len()
            + self.news.len()
            + self.notes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

/// The one order of each list of a view. Ids are unique within a type, so each order is total
/// and a record's place in it is the same however the list was built.
mod order {
    use std::cmp::Ordering;

    use crate::records::{Activity, Citable, Meeting, Usage};

    pub fn by_id<T: Citable>(a: &T, b: &T) -> Ordering {
        a.record_id().cmp(b.record_id())
    }

    pub fn usage(a: &Usage, b: &Usage) -> Ordering {
        (a.date, &a.metric, &a.id).cmp(&(b.date, &b.metric, &b.id))
    }

    pub fn meeting(a: &Meeting, b: &Meeting) -> Ordering {
        (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id))
    }

    pub fn activity(a: &Activity, b: &Activity) -> Ordering {
        (a.at, &a.id).cmp(&(b.at, &b.id))
    }

    /// Replaces the item with `item`'s id (its sort position may move) or adds it.
    pub fn put<T: Citable>(list: &mut Vec<T>, item: T, order: fn(&T, &T) -> Ordering) {
        if let Some(at) = list.iter().position(|x| x.record_id() == item.record_id()) {
            list.remove(at);
        }
        let at = list.partition_point(|x| order(x, &item) == Ordering::Less);
        list.insert(at, item);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;
    use crate::records::parse_line;

    /// One record of a few kinds whose order in the view is not by id alone: usage by date
    /// and metric, meetings by start, plus contacts and the account itself.
    fn record((kind, id, day, value): (usize, usize, u32, u32)) -> Record {
        let line = match kind {
            0 => format!(
                r#"{{"type":"usage","id":"u{id}","account_id":"acme","updated_at":"2026-01-0{}T00:00:00Z","date":"2026-01-{:02}","metric":"m{}","value":{value}}}"#,
                day % 9 + 1,
                day + 1,
                value % 2
            ),
            1 => format!(
                r#"{{"type":"meeting","id":"m{id}","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","starts_at":"2026-02-{:02}T10:00:00Z","title":"sync {value}","status":"scheduled"}}"#,
                day + 1
            ),
            2 => format!(
                r#"{{"type":"contact","id":"c{id}","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Pat {value}","role":"user"}}"#
            ),
            _ => format!(
                r#"{{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Acme {value}"}}"#
            ),
        };
        parse_line(1, &line).unwrap()
    }

    fn acme() -> AccountId {
        AccountId::parse("acme").unwrap()
    }

    proptest! {
        /// The records cache's premise: a view built once and then given each later version
        /// is the view built afresh from the latest version of every key.
        #[test]
        fn a_view_given_later_versions_is_the_view_built_from_the_latest(
            first in prop::collection::vec((0..4usize, 0..6usize, 0..28u32, 0..50u32), 0..20),
            later in prop::collection::vec((0..4usize, 0..8usize, 0..28u32, 0..50u32), 0..20),
        ) {
            let first: Vec<Record> = first.into_iter().map(record).collect();
            let later: Vec<Record> = later.into_iter().map(record).collect();
            let mut latest = BTreeMap::new();
            for r in &first {
                latest.insert(r.key(), r.clone());
            }
            let mut view = AccountView::from_records(acme(), latest.values().cloned());
            for r in later {
                latest.insert(r.key(), r.clone());
                view.upsert(r);
            }
            let built = AccountView::from_records(acme(), latest.values().cloned());
            prop_assert_eq!(view.len(), latest.len());
            for (key, r) in &latest {
                prop_assert_eq!(view.get(&key.record_type, &key.id), Some(r.clone()));
            }
            prop_assert_eq!(view.get("usage", "absent"), None);
            prop_assert_eq!(view, built);
        }
    }
}
