//! Records become observations: every field of a record is a claim about the record's own
//! entity (`contract:k1.end_date`), and some are also claims about the account they belong to
//! (a contract's end date is the account's `renewal_date`). Two systems that both know a
//! contract then speak to the same account field, so their disagreement shows.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{EntityRef, EntityState, Freshness, Observation};
use crate::records::Record;

/// Where a record version came from: the evidence id it is cited by, the system and trust
/// class of its source, and when revloop observed it.
#[derive(Debug, Clone, Copy)]
pub struct Provenance<'a> {
    pub evidence_id: &'a str,
    pub source: &'a str,
    pub trust_class: &'a str,
    pub observed_at: DateTime<Utc>,
}

/// Fields that say nothing about the world: identity and bookkeeping.
const NOT_FACTS: [&str; 4] = ["type", "id", "updated_at", "account_id"];

/// The entity a record speaks of first. A usage reading is a reading of the account's use of
/// one metric (`usage:{account}/{metric}`), so the world keeps the latest reading per metric
/// rather than one entity per day.
pub fn entity_of(record: &Record) -> EntityRef {
    match record {
        Record::Usage(u) => EntityRef::new("usage", &format!("{}/{}", u.account_id, u.metric)),
        _ => EntityRef::new(record.record_type(), record.id()),
    }
}

/// The usage reading's date, for records that are readings.
fn reading_date(record: &Record) -> Option<chrono::NaiveDate> {
    match record {
        Record::Usage(u) => Some(u.date),
        _ => None,
    }
}

/// Every claim a set of record versions makes. A reading that a later-dated reading of the same
/// metric, observed no later, supersedes is left out: it can never be the latest reading known,
/// and without it the newest observed reading is always the latest-dated one known.
pub fn observations_of_all<'a>(
    versions: impl IntoIterator<Item = (&'a Record, Provenance<'a>)>,
) -> Vec<Observation> {
    let versions: Vec<(&Record, Provenance<'a>)> = versions.into_iter().collect();
    // Per metric entity, the readings as (date, observed_at), sorted by date descending.
    let mut readings: std::collections::BTreeMap<
        EntityRef,
        Vec<(chrono::NaiveDate, DateTime<Utc>)>,
    > = Default::default();
    for (record, from) in &versions {
        if let Some(date) = reading_date(record) {
            readings
                .entry(entity_of(record))
                .or_default()
                .push((date, from.observed_at));
        }
    }
    let superseded = |record: &Record, from: &Provenance<'_>| {
        reading_date(record).is_some_and(|date| {
            readings[&entity_of(record)]
                .iter()
                .any(|(d, observed)| *d > date && *observed <= from.observed_at)
        })
    };
    versions
        .iter()
        .filter(|(record, from)| !superseded(record, from))
        .flat_map(|(record, from)| observations_of(record, *from))
        .collect()
}

/// Every claim one record version makes.
pub fn observations_of(record: &Record, from: Provenance<'_>) -> Vec<Observation> {
    let observe = |entity: &EntityRef, field: &str, value: Value| Observation {
        entity: entity.clone(),
        field: field.to_string(),
        value,
        evidence_id: from.evidence_id.to_string(),
        source: from.source.to_string(),
        trust_class: from.trust_class.to_string(),
        observed_at: from.observed_at,
        confidence: 1.0,
    };
    let own = entity_of(record);
    let mut out: Vec<Observation> = match serde_json::to_value(record) {
        Ok(Value::Object(fields)) => fields
            .into_iter()
            .filter(|(k, v)| !NOT_FACTS.contains(&k.as_str()) && !v.is_null())
            .map(|(k, v)| observe(&own, &k, v))
            .collect(),
        _ => Vec::new(),
    };
    let account = EntityRef::new("account", record.account_id().as_str());
    match record {
        Record::Contract(c) => {
            out.push(observe(
                &account,
                "renewal_date",
                Value::String(c.end_date.to_string()),
            ));
            if let Some(arr) = c.arr {
                out.push(observe(&account, "contract_arr", Value::from(arr)));
            }
        }
        Record::Account(a) => {
            if let Some(arr) = a.arr {
                out.push(observe(&account, "contract_arr", Value::from(arr)));
            }
        }
        _ => {}
    }
    out
}

/// The fields that must be known, fresh and undisputed for an entity's state to be trusted
/// fully, by entity type.
pub fn critical_fields(entity_type: &str) -> &'static [&'static str] {
    match entity_type {
        "account" => &["name", "owner", "renewal_date"],
        "contact" => &["name", "email", "role"],
        "opportunity" => &["stage", "amount", "close_date"],
        "contract" => &["start_date", "end_date"],
        _ => &[],
    }
}

/// A critical field that is not fully known, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Unknown {
    pub entity: EntityRef,
    pub field: String,
    /// `missing`, `stale`, `expired` or `contradicted`.
    pub reason: String,
}

/// The critical fields of the entity that are missing, stale, expired or contradicted.
pub fn unknowns(state: &EntityState) -> Vec<Unknown> {
    critical_fields(&state.entity.entity_type)
        .iter()
        .filter_map(|field| {
            let reason = match state.fields.get(*field) {
                None => "missing",
                Some(f) if f.contradiction.is_some() => "contradicted",
                Some(f) if f.freshness == Freshness::Expired => "expired",
                Some(f) if f.freshness == Freshness::Stale => "stale",
                Some(_) => return None,
            };
            Some(Unknown {
                entity: state.entity.clone(),
                field: field.to_string(),
                reason: reason.to_string(),
            })
        })
        .collect()
}

/// Tier 1: every critical field fresh and undisputed; tier 2: all present, some stale or
/// disputed; tier 3: a critical field is missing or expired.
pub fn tier(state: &EntityState) -> u8 {
    let unknown = unknowns(state);
    if unknown.is_empty() {
        1
    } else if unknown
        .iter()
        .any(|u| u.reason == "missing" || u.reason == "expired")
    {
        3
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_line;
    use crate::world::state::{StateConfig, compute_state};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn record(line: &str) -> Record {
        parse_line(1, line).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_latest_dated_usage_reading_known_is_the_metric_s_value_at_every_instant() {
        let reading = |id: &str, date: &str, value: u32| {
            record(&format!(
                r#"{{"type":"usage","id":"{id}","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","date":"{date}","metric":"active_users","value":{value}}}"#
            ))
        };
        let (monday, tuesday, late_sunday) = (
            reading("u2", "2026-11-16", 40),
            reading("u3", "2026-11-17", 42),
            reading("u1", "2026-11-15", 38),
        );
        let from = |evidence_id: &'static str, observed: &str| Provenance {
            evidence_id,
            source: "telemetry",
            trust_class: "telemetry",
            observed_at: at(observed),
        };
        // Monday and Tuesday arrive in one batch; Sunday's reading is backfilled a day later.
        let versions = [
            (&tuesday, from("rec:usage:u3@1", "2026-11-18T00:00:00Z")),
            (&monday, from("rec:usage:u2@1", "2026-11-18T00:00:00Z")),
            (&late_sunday, from("rec:usage:u1@1", "2026-11-19T00:00:00Z")),
        ];
        let obs = observations_of_all(versions);
        let metric = EntityRef::new("usage", "acme/active_users");
        assert!(obs.iter().all(|o| o.entity == metric));
        for as_of in ["2026-11-18T12:00:00Z", "2026-11-20T00:00:00Z"] {
            let state = compute_state(&metric, &obs, at(as_of), &StateConfig::default());
            assert_eq!(
                state.fields["value"].value,
                Value::from(42.0),
                "as of {as_of}"
            );
            assert_eq!(state.fields["date"].value, Value::from("2026-11-17"));
        }
        assert_eq!(entity_of(&tuesday), metric);
    }

    #[test]
    fn a_contract_speaks_for_itself_and_for_its_account() {
        let contract = record(
            r#"{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","start_date":"2026-02-01","end_date":"2027-01-31","arr":120000}"#,
        );
        let from = Provenance {
            evidence_id: "rec:contract:k1@1",
            source: "salesforce",
            trust_class: "crm",
            observed_at: at("2026-11-20T00:00:00Z"),
        };
        let obs = observations_of(&contract, from);
        let claim = |entity: &str, field: &str| {
            obs.iter()
                .find(|o| o.entity.to_string() == entity && o.field == field)
                .map(|o| o.value.clone())
        };
        assert_eq!(
            claim("contract:k1", "end_date"),
            Some(Value::from("2027-01-31"))
        );
        assert_eq!(
            claim("account:acme", "renewal_date"),
            Some(Value::from("2027-01-31"))
        );
        assert_eq!(
            claim("account:acme", "contract_arr"),
            Some(Value::from(120000))
        );
        assert_eq!(
            claim("contract:k1", "updated_at"),
            None,
            "bookkeeping is no fact"
        );
    }

    #[test]
    fn crm_and_contract_system_disagreeing_on_renewal_is_an_unknown_of_the_account() {
        let crm = record(
            r#"{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","start_date":"2026-02-01","end_date":"2027-01-31"}"#,
        );
        let clm = record(
            r#"{"type":"contract","id":"CLM-7","account_id":"acme","updated_at":"2026-11-02T00:00:00Z","start_date":"2026-04-01","end_date":"2027-03-31"}"#,
        );
        let account = record(
            r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme Corp","owner":"sam"}"#,
        );
        let mut obs = observations_of(
            &account,
            Provenance {
                evidence_id: "rec:account:acme@1",
                source: "salesforce",
                trust_class: "crm",
                observed_at: at("2026-11-20T00:00:00Z"),
            },
        );
        obs.extend(observations_of(
            &crm,
            Provenance {
                evidence_id: "rec:contract:k1@1",
                source: "salesforce",
                trust_class: "crm",
                observed_at: at("2026-11-20T00:00:00Z"),
            },
        ));
        obs.extend(observations_of(
            &clm,
            Provenance {
                evidence_id: "rec:contract:CLM-7@1",
                source: "contracts",
                trust_class: "contract",
                observed_at: at("2026-11-19T00:00:00Z"),
            },
        ));
        let state = compute_state(
            &EntityRef::new("account", "acme"),
            &obs,
            at("2026-11-21T00:00:00Z"),
            &StateConfig::default(),
        );
        let renewal = &state.fields["renewal_date"];
        let claims = renewal
            .contradiction
            .as_ref()
            .expect("the two dates are disputed");
        let said: Vec<(&str, &Value)> = claims
            .iter()
            .map(|c| (c.source.as_str(), &c.value))
            .collect();
        assert_eq!(
            said,
            [
                ("contracts", &Value::from("2027-03-31")),
                ("salesforce", &Value::from("2027-01-31"))
            ]
        );
        assert_eq!(
            unknowns(&state),
            vec![Unknown {
                entity: EntityRef::new("account", "acme"),
                field: "renewal_date".into(),
                reason: "contradicted".into()
            }]
        );
        assert_eq!(tier(&state), 2);
    }

    #[test]
    fn tiers_follow_the_critical_fields() {
        let account = record(
            r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme Corp"}"#,
        );
        let obs = observations_of(
            &account,
            Provenance {
                evidence_id: "e1",
                source: "salesforce",
                trust_class: "crm",
                observed_at: at("2026-11-20T00:00:00Z"),
            },
        );
        let state = compute_state(
            &EntityRef::new("account", "acme"),
            &obs,
            at("2026-11-21T00:00:00Z"),
            &StateConfig::default(),
        );
        let missing: Vec<String> = unknowns(&state)
            .into_iter()
            .map(|u| format!("{}:{}", u.field, u.reason))
            .collect();
        assert_eq!(missing, ["owner:missing", "renewal_date:missing"]);
        assert_eq!(tier(&state), 3);
    }
}
