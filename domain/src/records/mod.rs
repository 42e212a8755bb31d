//! Canonical records: what connectors produce and `revloop ingest` accepts (one JSON object per
//! line). Parsing never stops at a bad line: each line is either a [`Record`] or a
//! [`RejectedLine`] naming its line number and field, so the caller can keep both.

mod kinds;
mod parse;

pub use kinds::*;
pub use parse::{ParseOutcome, RejectedLine, parse_jsonl, parse_line};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::hashing::digest_of;
use crate::ids::AccountId;

/// One canonical record. The `type` tag selects the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Account(Account),
    Contact(Contact),
    Opportunity(Opportunity),
    Contract(Contract),
    Ticket(Ticket),
    Usage(Usage),
    Meeting(Meeting),
    Activity(Activity),
    News(News),
    Note(Note),
}

/// Identifies one record across versions: its type and source id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordKey {
    pub record_type: String,
    pub id: String,
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.record_type, self.id)
    }
}

macro_rules! each_record {
    ($self:ident, $r:ident => $e:expr) => {
        match $self {
            Record::Account($r) => $e,
            Record::Contact($r) => $e,
            Record::Opportunity($r) => $e,
            Record::Contract($r) => $e,
            Record::Ticket($r) => $e,
            Record::Usage($r) => $e,
            Record::Meeting($r) => $e,
            Record::Activity($r) => $e,
            Record::News($r) => $e,
            Record::Note($r) => $e,
        }
    };
}

impl Record {
    /// The `type` tag as written in JSONL.
    pub fn record_type(&self) -> &'static str {
        match self {
            Record::Account(_) => "account",
            Record::Contact(_) => "contact",
            Record::Opportunity(_) => "opportunity",
            Record::Contract(_) => "contract",
            Record::Ticket(_) => "ticket",
            Record::Usage(_) => "usage",
            Record::Meeting(_) => "meeting",
            Record::Activity(_) => "activity",
            Record::News(_) => "news",
            Record::Note(_) => "note",
        }
    }

    pub fn id(&self) -> &str {
        each_record!(self, r => r.id.as_ref())
    }

    pub fn updated_at(&self) -> DateTime<Utc> {
        each_record!(self, r => r.updated_at)
    }

    /// The owning account; an account record owns itself.
    pub fn account_id(&self) -> &AccountId {
        match self {
            Record::Account(a) => &a.id,
            Record::Contact(r) => &r.account_id,
            Record::Opportunity(r) => &r.account_id,
            Record::Contract(r) => &r.account_id,
            Record::Ticket(r) => &r.account_id,
            Record::Usage(r) => &r.account_id,
            Record::Meeting(r) => &r.account_id,
            Record::Activity(r) => &r.account_id,
            Record::News(r) => &r.account_id,
            Record::Note(r) => &r.account_id,
        }
    }

    pub fn key(&self) -> RecordKey {
        RecordKey {
            record_type: self.record_type().to_string(),
            id: self.id().to_string(),
        }
    }

    /// The trust class of the source that owns this kind of record, used for freshness TTLs
    /// and source precedence.
    pub fn trust_class(&self) -> &'static str {
        match self {
            Record::Account(_)
            | Record::Contact(_)
            | Record::Opportunity(_)
            | Record::Contract(_)
            | Record::Activity(_) => "crm",
            Record::Ticket(_) => "support",
            Record::Usage(_) => "telemetry",
            Record::Meeting(_) => "calendar",
            Record::News(_) => "news",
            Record::Note(_) => "user_input",
        }
    }

    /// Digest of the record's canonical JSON: equal digests mean nothing changed.
    pub fn content_hash(&self) -> String {
        digest_of(self)
    }
}

/// A record, or the body of one record kind: what evidence refs cite. Lets a detector cite a
/// typed body (a `Usage` reading) without wrapping a clone of it in a [`Record`] first.
pub trait Citable {
    fn record_type(&self) -> &'static str;
    fn record_id(&self) -> &str;
    /// The body as a whole record, for hashing when no stored ref is at hand.
    fn to_record(&self) -> Record;
}

impl Citable for Record {
    fn record_type(&self) -> &'static str {
        Record::record_type(self)
    }
    fn record_id(&self) -> &str {
        self.id()
    }
    fn to_record(&self) -> Record {
        self.clone()
    }
}

macro_rules! citable_kind {
    ($($kind:ident => $name:literal),* $(,)?) => {
        $(impl Citable for $kind {
            fn record_type(&self) -> &'static str {
                $name
            }
            fn record_id(&self) -> &str {
                self.id.as_ref()
            }
            fn to_record(&self) -> Record {
                Record::$kind(self.clone())
            }
        })*
    };
}

citable_kind!(
    Account => "account",
    Contact => "contact",
    Opportunity => "opportunity",
    Contract => "contract",
    Ticket => "ticket",
    Usage => "usage",
    Meeting => "meeting",
    Activity => "activity",
    News => "news",
    Note => "note",
);

#[cfg(test)]
mod citable_tests {
    use super::*;

    /// A kind's body names the same type and id as the record wrapping it.
    #[test]
    fn a_kind_cites_as_its_record_does() {
        let record = parse_line(
            1,
            r#"{"type":"usage","id":"u1","account_id":"acme","updated_at":"2026-01-01T00:00:00Z","date":"2026-01-01","metric":"api_calls","value":3}"#,
        )
        .unwrap();
        let Record::Usage(usage) = &record else {
            panic!("a usage record")
        };
        assert_eq!(Citable::record_type(usage), record.record_type());
        assert_eq!(usage.record_id(), record.id());
        assert_eq!(usage.to_record(), record);
    }
}
