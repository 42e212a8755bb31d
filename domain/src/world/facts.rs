//! What revloop knows of one account at one instant, as a decision reads it: the world state
//! (every entity's fields with their confidence, freshness and disputes; the account state's
//! posture, risks and unknowns) and the account's recent daily usage, with typed readers over
//! them. Playbooks, the brief and the validators read this one model, so a field two trusted
//! sources dispute is disputed for all of them, and nothing in a decision reads raw records.
//!
//! It is also the snapshot a decision binds to: stored once, cited by its ref, never re-read.
//! Only the world is stored; the typed readers are rebuilt from it when it is loaded.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::account_state::{AccountState, account_state};
use super::account_view::record_ref;
use super::state::{EntityState, Provenance, StateConfig, entity_states, observations_of_all};
use crate::records::{ContactRole, MeetingStatus, OpportunityStage, Record, TicketStatus};
use crate::signals::{DailyReading, Signal, USAGE_WINDOW_DAYS};

/// One day's value of one metric, citing the usage record version it came from. The world
/// state keeps only each metric's latest reading; trends need the days before it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageReading {
    pub metric: String,
    pub date: NaiveDate,
    pub value: f64,
    pub evidence_ref: String,
}

impl DailyReading for UsageReading {
    fn metric(&self) -> &str {
        &self.metric
    }
    fn date(&self) -> NaiveDate {
        self.date
    }
    fn value(&self) -> f64 {
        self.value
    }
}

/// The account's daily usage that the usage windows look at (the days up to `as_of`'s date),
/// from the record versions observed by `as_of`: per reading, its newest version. Bounded by
/// the window, not by the account's history.
pub fn usage_series<'a>(
    versions: impl IntoIterator<Item = (&'a Record, Provenance<'a>)>,
    as_of: DateTime<Utc>,
) -> Vec<UsageReading> {
    let today = as_of.date_naive();
    let first_day = today - Days::new(USAGE_WINDOW_DAYS);
    let mut newest: BTreeMap<&str, (DateTime<Utc>, UsageReading)> = BTreeMap::new();
    for (record, from) in versions {
        let Record::Usage(u) = record else { continue };
        if from.observed_at > as_of || u.date < first_day || u.date > today {
            continue;
        }
        let reading = UsageReading {
            metric: u.metric.clone(),
            date: u.date,
            value: u.value,
            evidence_ref: from.evidence_id.to_string(),
        };
        match newest.get(u.id.as_str()) {
            Some((at, kept))
                if (*at, &kept.evidence_ref) >= (from.observed_at, &reading.evidence_ref) => {}
            _ => {
                newest.insert(&u.id, (from.observed_at, reading));
            }
        }
    }
    let mut series: Vec<UsageReading> = newest.into_values().map(|(_, r)| r).collect();
    series.sort_by(|a, b| {
        (&a.metric, a.date, &a.evidence_ref).cmp(&(&b.metric, b.date, &b.evidence_ref))
    });
    series
}

/// A contact as the world knows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactFact {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: ContactRole,
    #[serde(default)]
    pub is_primary: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// The record version its newest field rests on: what a proposal about it cites.
    pub evidence_ref: String,
    /// Its fields that trusted sources dispute.
    #[serde(default)]
    pub disputed: Vec<String>,
}

fn yes() -> bool {
    true
}

impl ContactFact {
    /// Active, with an address no trusted source disputes: someone revloop may write to.
    pub fn reachable(&self) -> bool {
        self.active
            && self.email.as_deref().is_some_and(|e| !e.trim().is_empty())
            && !self.disputed.iter().any(|f| f == "email")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpportunityFact {
    pub id: String,
    pub name: String,
    pub stage: OpportunityStage,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub close_date: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
    pub evidence_ref: String,
    #[serde(default)]
    pub disputed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractFact {
    pub id: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default)]
    pub arr: Option<i64>,
    #[serde(default)]
    pub auto_renew: bool,
    pub evidence_ref: String,
    #[serde(default)]
    pub disputed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketFact {
    pub id: String,
    pub subject: String,
    pub severity: u8,
    pub status: TicketStatus,
    pub opened_at: DateTime<Utc>,
    #[serde(default)]
    pub escalated: bool,
    pub evidence_ref: String,
    #[serde(default)]
    pub disputed: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingFact {
    pub id: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    pub status: MeetingStatus,
    #[serde(default)]
    pub attendee_ids: Vec<String>,
    pub evidence_ref: String,
    #[serde(default)]
    pub disputed: Vec<String>,
}

/// The world as stored: everything else is derived from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Known {
    account_id: String,
    as_of: DateTime<Utc>,
    state: AccountState,
    entities: Vec<EntityState>,
    usage: Vec<UsageReading>,
}

/// The typed readers, rebuilt from the entity states.
#[derive(Debug, Clone, Default, PartialEq)]
struct Typed {
    contacts: Vec<ContactFact>,
    opportunities: Vec<OpportunityFact>,
    contracts: Vec<ContractFact>,
    tickets: Vec<TicketFact>,
    meetings: Vec<MeetingFact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "Known")]
pub struct AccountFacts {
    pub account_id: String,
    pub as_of: DateTime<Utc>,
    /// Posture, top risks, unknowns, momentum, recent changes.
    pub state: AccountState,
    /// Every entity's state, with its disputes, ordered by entity.
    pub entities: Vec<EntityState>,
    /// The daily usage the trends look at.
    pub usage: Vec<UsageReading>,
    #[serde(skip)]
    typed: Typed,
}

impl From<Known> for AccountFacts {
    fn from(k: Known) -> Self {
        AccountFacts::new(k.account_id, k.as_of, k.state, k.entities, k.usage)
    }
}

/// The entity as one JSON object of its fields' values, with its id, the evidence its newest
/// field rests on and its disputed fields; `None` when it lacks what `T` requires.
fn typed<T: DeserializeOwned>(entity: &EntityState) -> Option<T> {
    let mut object: Map<String, Value> = entity
        .fields
        .iter()
        .map(|(name, f)| (name.clone(), f.value.clone()))
        .collect();
    let newest = entity
        .fields
        .values()
        .max_by(|a, b| a.observed_at.cmp(&b.observed_at))
        .and_then(|f| f.evidence_ids.first())?;
    let disputed: Vec<Value> = entity
        .contradicted()
        .map(|(name, _)| Value::String(name.clone()))
        .collect();
    object.insert("id".into(), Value::String(entity.entity.entity_id.clone()));
    object.insert("evidence_ref".into(), Value::String(newest.clone()));
    object.insert("disputed".into(), Value::Array(disputed));
    serde_json::from_value(Value::Object(object)).ok()
}

fn of_type<T: DeserializeOwned>(entities: &[EntityState], entity_type: &str) -> Vec<T> {
    entities
        .iter()
        .filter(|e| e.entity.entity_type == entity_type)
        .filter_map(typed)
        .collect()
}

impl AccountFacts {
    pub fn new(
        account_id: String,
        as_of: DateTime<Utc>,
        state: AccountState,
        entities: Vec<EntityState>,
        usage: Vec<UsageReading>,
    ) -> Self {
        // Entities come ordered by entity ref, so each list is in id order.
        let mut meetings: Vec<MeetingFact> = of_type(&entities, "meeting");
        meetings.sort_by(|a, b| (a.starts_at, &a.id).cmp(&(b.starts_at, &b.id)));
        let typed = Typed {
            contacts: of_type(&entities, "contact"),
            opportunities: of_type(&entities, "opportunity"),
            contracts: of_type(&entities, "contract"),
            tickets: of_type(&entities, "ticket"),
            meetings,
        };
        AccountFacts {
            account_id,
            as_of,
            state,
            entities,
            usage,
            typed,
        }
    }

    /// The facts that record versions give, as the world computes them: each version's
    /// claims, then entity states, the account state with `signals`, and the usage series.
    pub fn from_versions<'a>(
        account_id: &str,
        versions: &[(&'a Record, Provenance<'a>)],
        signals: &[Signal],
        as_of: DateTime<Utc>,
        config: &StateConfig,
    ) -> Self {
        let observations = observations_of_all(versions.iter().copied());
        let entities = entity_states(&observations, as_of, config);
        let state = account_state(account_id, &entities, signals, as_of);
        let usage = usage_series(versions.iter().copied(), as_of);
        AccountFacts::new(account_id.to_string(), as_of, state, entities, usage)
    }

    /// The facts of plain records, each taken as its own version from the CRM, observed when
    /// it was last updated (or at `as_of`, if later): for tests, and for snapshots stored as
    /// records before decisions read the world.
    pub fn of_records(
        account_id: &str,
        records: &[Record],
        signals: &[Signal],
        as_of: DateTime<Utc>,
    ) -> Self {
        let refs: Vec<String> = records.iter().map(record_ref).collect();
        let versions: Vec<(&Record, Provenance<'_>)> = records
            .iter()
            .zip(&refs)
            .map(|(record, evidence_id)| {
                let observed_at = record.updated_at().min(as_of);
                (
                    record,
                    Provenance {
                        evidence_id,
                        source: "crm",
                        trust_class: "crm",
                        observed_at,
                    },
                )
            })
            .collect();
        Self::from_versions(
            account_id,
            &versions,
            signals,
            as_of,
            &StateConfig::default(),
        )
    }

    fn account(&self) -> Option<&EntityState> {
        self.entities
            .iter()
            .find(|e| e.entity.entity_type == "account" && e.entity.entity_id == self.account_id)
    }

    /// One of the account's own fields (`renewal_date`, `owner`, …), with its confidence,
    /// freshness and dispute.
    pub fn account_field(&self, field: &str) -> Option<&super::state::FieldState> {
        self.account()?.fields.get(field)
    }

    /// The account's name, or its id while no source has named it.
    pub fn account_name(&self) -> String {
        self.account_field("name")
            .and_then(|f| f.value.as_str())
            .map_or_else(|| self.account_id.clone(), str::to_string)
    }

    /// The account's owner, who internal tasks and notices go to.
    pub fn owner(&self) -> Option<String> {
        self.account_field("owner")
            .and_then(|f| f.value.as_str())
            .map(str::to_string)
    }

    pub fn contacts(&self) -> &[ContactFact] {
        &self.typed.contacts
    }
    pub fn opportunities(&self) -> &[OpportunityFact] {
        &self.typed.opportunities
    }
    pub fn contracts(&self) -> &[ContractFact] {
        &self.typed.contracts
    }
    pub fn tickets(&self) -> &[TicketFact] {
        &self.typed.tickets
    }
    /// In start order.
    pub fn meetings(&self) -> &[MeetingFact] {
        &self.typed.meetings
    }

    /// The contact a follow-up should go to: the primary reachable champion, else any primary
    /// reachable contact, else any reachable champion, else anyone reachable.
    pub fn follow_up_contact(&self) -> Option<&ContactFact> {
        let reachable = || self.typed.contacts.iter().filter(|c| c.reachable());
        reachable()
            .find(|c| c.is_primary && c.role == ContactRole::Champion)
            .or_else(|| reachable().find(|c| c.is_primary))
            .or_else(|| reachable().find(|c| c.role == ContactRole::Champion))
            .or_else(|| reachable().next())
    }

    /// Every record version the facts rest on: each field's evidence, each disputed claim's,
    /// and each usage reading's. A proposal may cite only these.
    pub fn evidence_held(&self) -> BTreeSet<&str> {
        let fields = self.entities.iter().flat_map(|e| e.fields.values());
        let mut held: BTreeSet<&str> = fields
            .flat_map(|f| {
                f.evidence_ids.iter().map(String::as_str).chain(
                    f.contradiction
                        .iter()
                        .flatten()
                        .map(|c| c.evidence_id.as_str()),
                )
            })
            .collect();
        held.extend(self.usage.iter().map(|r| r.evidence_ref.as_str()));
        held
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_line;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record(line: &str) -> Record {
        parse_line(1, line).unwrap_or_else(|e| panic!("{e}"))
    }

    const ADA: &str = r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"champion","is_primary":true}"#;

    #[test]
    fn typed_readers_read_the_world_and_the_snapshot_round_trips() {
        let records = vec![
            record(
                r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme","owner":"sam"}"#,
            ),
            record(ADA),
            record(
                r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","title":"QBR","starts_at":"2026-03-12T10:00:00Z","status":"scheduled"}"#,
            ),
        ];
        let facts = AccountFacts::of_records("acme", &records, &[], at("2026-03-10T00:00:00Z"));
        assert_eq!(facts.account_name(), "Acme");
        assert_eq!(facts.owner().as_deref(), Some("sam"));
        let ada = &facts.contacts()[0];
        assert!(
            ada.active && ada.reachable(),
            "a contact is active by default"
        );
        assert_eq!(ada.evidence_ref, record_ref(&records[1]));
        assert_eq!(facts.meetings()[0].title, "QBR");
        assert!(
            facts
                .evidence_held()
                .contains(record_ref(&records[2]).as_str())
        );

        let stored = serde_json::to_vec(&facts).unwrap();
        let loaded: AccountFacts = serde_json::from_slice(&stored).unwrap();
        assert_eq!(
            loaded, facts,
            "the readers are rebuilt from the stored world"
        );
        assert!(!String::from_utf8(stored).unwrap().contains("\"typed\""));
    }

    #[test]
    fn a_disputed_address_is_no_one_to_write_to() {
        let ada = record(ADA);
        let refs = [
            "rec:contact:ada@crm".to_string(),
            "rec:contact:ada@mail".to_string(),
        ];
        let other = record(&ADA.replace("ada@acme.test", "ada.lee@other.test"));
        let observed = at("2026-03-09T00:00:00Z");
        let from = |evidence_id: &'static str, source: &'static str| Provenance {
            evidence_id,
            source,
            trust_class: "crm",
            observed_at: observed,
        };
        let versions = vec![
            (&ada, from("rec:contact:ada@crm", "salesforce")),
            (&other, from("rec:contact:ada@mail", "hubspot")),
        ];
        let facts =
            AccountFacts::from_versions("acme", &versions, &[], observed, &StateConfig::default());
        let contact = &facts.contacts()[0];
        assert_eq!(contact.disputed, ["email"]);
        assert!(!contact.reachable());
        assert!(facts.follow_up_contact().is_none());
        // Both claims are held, so a proposal citing either is grounded in the snapshot.
        let held = facts.evidence_held();
        assert!(refs.iter().all(|r| held.contains(r.as_str())));
    }

    #[test]
    fn the_usage_series_keeps_the_window_and_each_reading_s_newest_version() {
        let reading = |id: &str, date: &str, value: u32| {
            record(&format!(
                r#"{{"type":"usage","id":"{id}","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","date":"{date}","metric":"seats","value":{value}}}"#
            ))
        };
        let (old, first, corrected, future) = (
            reading("u0", "2026-01-01", 10),
            reading("u1", "2026-03-08", 100),
            reading("u1", "2026-03-08", 90),
            reading("u2", "2026-03-11", 5),
        );
        let from = |evidence_id, observed_at: &str| Provenance {
            evidence_id,
            source: "telemetry",
            trust_class: "telemetry",
            observed_at: at(observed_at),
        };
        let versions = [
            (&corrected, from("rec:usage:u1@b", "2026-03-09T00:00:00Z")),
            (&old, from("rec:usage:u0@a", "2026-03-01T00:00:00Z")),
            (&first, from("rec:usage:u1@a", "2026-03-08T00:00:00Z")),
            (&future, from("rec:usage:u2@a", "2026-03-11T00:00:00Z")),
        ];
        let series = usage_series(versions, at("2026-03-10T00:00:00Z"));
        assert_eq!(series.len(), 1, "{series:?}");
        assert_eq!(
            (series[0].value, series[0].evidence_ref.as_str()),
            (90.0, "rec:usage:u1@b")
        );
    }
}
