//! The state computation itself.
//!
//! Per field: only claims observed by `as_of` count; each source counts with its latest claim.
//! Trusted sources outrank untrusted ones. Among the claims that count, the newest wins (ties go
//! to the more trusted class, then the evidence id), so older evidence can never displace a
//! value backed by newer trusted evidence. A trusted claim that is still fresh and disagrees
//! with the winner makes the field contradicted: both values and sources are kept and the
//! confidence halves. A person's answer (trust class `user_input`) supersedes every claim
//! observed by the time they answered.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{EntityRef, Observation, StateConfig};
use crate::decision::clarify::USER_INPUT;
use crate::hashing::{canonical_json, digest_of};

/// How old a field's backing evidence is against its source's TTLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    /// Age within the soft TTL.
    Fresh,
    /// Past the soft TTL, within the hard one.
    Stale,
    /// Past the hard TTL.
    Expired,
}

/// One source's value for a field, as a contradiction lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub value: Value,
    pub source: String,
    pub trust_class: String,
    pub evidence_id: String,
    pub observed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldState {
    pub value: Value,
    /// Every counted claim that agrees with the value, sorted.
    pub evidence_ids: Vec<String>,
    pub source: String,
    pub trust_class: String,
    pub observed_at: DateTime<Utc>,
    pub confidence: f64,
    pub freshness: Freshness,
    pub age_secs: i64,
    /// The disagreeing fresh trusted claims, winner included, ordered by trust then source.
    pub contradiction: Option<Vec<Claim>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityState {
    pub entity: EntityRef,
    pub as_of: DateTime<Utc>,
    pub fields: BTreeMap<String, FieldState>,
    /// Digest of what is known (values, evidence, sources, contradictions), without the
    /// instant-dependent freshness: equal knowledge gives equal hashes.
    pub state_hash: String,
}

impl EntityState {
    /// The canonical bytes of the whole state (freshness included).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical_json(self)
    }

    /// Fields whose value two trusted sources dispute.
    pub fn contradicted(&self) -> impl Iterator<Item = (&String, &FieldState)> {
        self.fields
            .iter()
            .filter(|(_, f)| f.contradiction.is_some())
    }
}

/// The order that picks one claim per source and the winner among claims: newest, then more
/// trusted, then by evidence id and value so that equal-time claims still order totally.
fn claim_order<'a>(
    config: &StateConfig,
    o: &'a Observation,
) -> (DateTime<Utc>, Reverse<usize>, &'a str, String) {
    let rank = config.rank(&o.trust_class).unwrap_or(usize::MAX);
    (
        o.observed_at,
        Reverse(rank),
        o.evidence_id.as_str(),
        o.value.to_string(),
    )
}

fn is_fresh(config: &StateConfig, o: &Observation, as_of: DateTime<Utc>) -> bool {
    (as_of - o.observed_at).num_seconds() <= config.ttl_for(&o.trust_class).soft_secs
}

fn claim(o: &Observation) -> Claim {
    Claim {
        value: o.value.clone(),
        source: o.source.clone(),
        trust_class: o.trust_class.clone(),
        evidence_id: o.evidence_id.clone(),
        observed_at: o.observed_at,
    }
}

fn field_state(
    config: &StateConfig,
    claims: &[&Observation],
    as_of: DateTime<Utc>,
) -> Option<FieldState> {
    // Latest claim per source.
    let mut latest: BTreeMap<(&str, &str), &Observation> = BTreeMap::new();
    for o in claims {
        let key = (o.source.as_str(), o.trust_class.as_str());
        match latest.get(&key) {
            Some(current) if claim_order(config, current) >= claim_order(config, o) => {}
            _ => {
                latest.insert(key, o);
            }
        }
    }
    // A person's answer (see `decision::clarify`) settles what was known when they answered:
    // only it and claims observed after it still count.
    let answered = latest
        .values()
        .filter(|o| o.trust_class == USER_INPUT)
        .map(|o| o.observed_at)
        .max();
    if let Some(answered_at) = answered {
        latest.retain(|_, o| {
            o.observed_at > answered_at
                || (o.trust_class == USER_INPUT && o.observed_at == answered_at)
        });
    }
    let trusted: Vec<&Observation> = latest
        .values()
        .copied()
        .filter(|o| config.rank(&o.trust_class).is_some())
        .collect();
    let counted: Vec<&Observation> = if trusted.is_empty() {
        latest.values().copied().collect()
    } else {
        trusted
    };
    let winner = *counted.iter().max_by_key(|o| claim_order(config, o))?;
    let mut evidence_ids: Vec<String> = counted
        .iter()
        .filter(|o| o.value == winner.value)
        .map(|o| o.evidence_id.clone())
        .collect();
    evidence_ids.sort();
    evidence_ids.dedup();
    let fresh_trusted: Vec<&Observation> = counted
        .iter()
        .copied()
        .filter(|o| config.rank(&o.trust_class).is_some() && is_fresh(config, o, as_of))
        .collect();
    let disputed =
        is_fresh(config, winner, as_of) && fresh_trusted.iter().any(|o| o.value != winner.value);
    let contradiction = disputed.then(|| {
        let mut claims = fresh_trusted.clone();
        claims.sort_by_key(|o| {
            (
                config.rank(&o.trust_class),
                o.source.clone(),
                o.evidence_id.clone(),
            )
        });
        claims.into_iter().map(claim).collect()
    });
    let age_secs = (as_of - winner.observed_at).num_seconds();
    let ttl = config.ttl_for(&winner.trust_class);
    let freshness = if age_secs > ttl.hard_secs {
        Freshness::Expired
    } else if age_secs > ttl.soft_secs {
        Freshness::Stale
    } else {
        Freshness::Fresh
    };
    let confidence = if contradiction.is_some() {
        winner.confidence / 2.0
    } else {
        winner.confidence
    };
    Some(FieldState {
        value: winner.value.clone(),
        evidence_ids,
        source: winner.source.clone(),
        trust_class: winner.trust_class.clone(),
        observed_at: winner.observed_at,
        confidence,
        freshness,
        age_secs,
        contradiction,
    })
}

/// The entity's state as of `as_of`, from every observation about it known by then.
/// Observations about other entities are ignored.
pub fn compute_state(
    entity: &EntityRef,
    observations: &[Observation],
    as_of: DateTime<Utc>,
    config: &StateConfig,
) -> EntityState {
    let mut by_field: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in observations
        .iter()
        .filter(|o| &o.entity == entity && o.observed_at <= as_of)
    {
        by_field.entry(o.field.as_str()).or_default().push(o);
    }
    let fields: BTreeMap<String, FieldState> = by_field
        .into_iter()
        .filter_map(|(field, claims)| {
            field_state(config, &claims, as_of).map(|s| (field.to_string(), s))
        })
        .collect();
    let knowledge: BTreeMap<&String, Value> = fields
        .iter()
        .map(|(name, f)| {
            (
                name,
                serde_json::json!({
                    "value": f.value,
                    "evidence_ids": f.evidence_ids,
                    "source": f.source,
                    "trust_class": f.trust_class,
                    "observed_at": f.observed_at,
                    "confidence": f.confidence,
                    "contradiction": f.contradiction,
                }),
            )
        })
        .collect();
    let state_hash = digest_of(&serde_json::json!({ "entity": entity, "fields": knowledge }));
    EntityState {
        entity: entity.clone(),
        as_of,
        fields,
        state_hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn obs(
        field: &str,
        value: Value,
        source: &str,
        trust: &str,
        observed: &str,
        ev: &str,
    ) -> Observation {
        Observation {
            entity: EntityRef::new("account", "acme"),
            field: field.into(),
            value,
            evidence_id: ev.into(),
            source: source.into(),
            trust_class: trust.into(),
            observed_at: at(observed),
            confidence: 0.9,
        }
    }

    fn acme() -> EntityRef {
        EntityRef::new("account", "acme")
    }

    #[test]
    fn two_trusted_sources_disagreeing_leave_a_contradiction_with_both() {
        let observations = [
            obs(
                "renewal_date",
                json!("2027-01-31"),
                "salesforce",
                "crm",
                "2026-11-20T09:00:00Z",
                "rec:account:acme@1",
            ),
            obs(
                "renewal_date",
                json!("2027-03-31"),
                "contracts",
                "contract",
                "2026-11-19T09:00:00Z",
                "rec:contract:k1@2",
            ),
        ];
        let state = compute_state(
            &acme(),
            &observations,
            at("2026-11-21T09:00:00Z"),
            &StateConfig::default(),
        );
        let field = &state.fields["renewal_date"];
        assert_eq!(
            field.value,
            json!("2027-01-31"),
            "the newest value is shown"
        );
        let claims = field.contradiction.as_ref().expect("a contradiction");
        let pairs: Vec<(&str, &Value)> = claims
            .iter()
            .map(|c| (c.source.as_str(), &c.value))
            .collect();
        assert_eq!(
            pairs,
            [
                ("contracts", &json!("2027-03-31")),
                ("salesforce", &json!("2027-01-31"))
            ]
        );
        assert_eq!(field.confidence, 0.45, "a disputed field is less sure");
        assert_eq!(state.contradicted().count(), 1);
    }

    #[test]
    fn stale_disagreement_untrusted_claims_and_agreement_are_no_contradiction() {
        let config = StateConfig::default();
        let now = at("2026-11-21T09:00:00Z");
        // The contract system said otherwise 40 days ago: past its 30-day soft TTL.
        let stale = [
            obs(
                "renewal_date",
                json!("2027-01-31"),
                "salesforce",
                "crm",
                "2026-11-20T09:00:00Z",
                "e1",
            ),
            obs(
                "renewal_date",
                json!("2027-03-31"),
                "contracts",
                "contract",
                "2026-10-12T09:00:00Z",
                "e2",
            ),
        ];
        assert!(
            compute_state(&acme(), &stale, now, &config).fields["renewal_date"]
                .contradiction
                .is_none()
        );
        // News is not a trusted source: it neither wins nor disputes.
        let rumour = [
            obs(
                "employees",
                json!(500),
                "salesforce",
                "crm",
                "2026-11-01T09:00:00Z",
                "e1",
            ),
            obs(
                "employees",
                json!(900),
                "press",
                "news",
                "2026-11-21T08:00:00Z",
                "e2",
            ),
        ];
        let field = &compute_state(&acme(), &rumour, now, &config).fields["employees"];
        assert_eq!(
            (field.value.clone(), field.contradiction.is_none()),
            (json!(500), true)
        );
        // Untrusted claims fill a field no trusted source speaks to.
        let only_news = [obs(
            "funding",
            json!("Series C"),
            "press",
            "news",
            "2026-11-21T08:00:00Z",
            "e3",
        )];
        assert_eq!(
            compute_state(&acme(), &only_news, now, &config).fields["funding"].value,
            json!("Series C")
        );
        // Agreeing sources: no contradiction, both pieces of evidence back the value.
        let agree = [
            obs(
                "tier",
                json!("gold"),
                "salesforce",
                "crm",
                "2026-11-20T09:00:00Z",
                "e1",
            ),
            obs(
                "tier",
                json!("gold"),
                "contracts",
                "contract",
                "2026-11-19T09:00:00Z",
                "e2",
            ),
        ];
        let field = &compute_state(&acme(), &agree, now, &config).fields["tier"];
        assert!(field.contradiction.is_none());
        assert_eq!(field.evidence_ids, ["e1", "e2"]);
    }

    #[test]
    fn freshness_follows_the_winning_source_ttls() {
        let config = StateConfig::default();
        let one = [obs(
            "stage",
            json!("proposal"),
            "salesforce",
            "crm",
            "2026-11-01T00:00:00Z",
            "e1",
        )];
        let f = |as_of: &str| {
            compute_state(&acme(), &one, at(as_of), &config).fields["stage"].freshness
        };
        assert_eq!(
            f("2026-11-08T00:00:00Z"),
            Freshness::Fresh,
            "7 days: the soft TTL"
        );
        assert_eq!(f("2026-11-08T00:00:01Z"), Freshness::Stale);
        assert_eq!(
            f("2026-12-01T00:00:00Z"),
            Freshness::Stale,
            "30 days: the hard TTL"
        );
        assert_eq!(f("2026-12-01T00:00:01Z"), Freshness::Expired);
    }

    const SOURCES: [(&str, &str); 4] = [
        ("salesforce", "crm"),
        ("contracts", "contract"),
        ("zendesk", "support"),
        ("press", "news"),
    ];

    prop_compose! {
        fn observation()(field in 0usize..3, value in 0u8..3, source in 0usize..4, minutes in 0i64..20_000) -> Observation {
            let (name, trust) = SOURCES[source];
            let observed = at("2026-11-01T00:00:00Z") + chrono::Duration::minutes(minutes);
            Observation {
                entity: acme(),
                field: ["renewal_date", "tier", "owner"][field].into(),
                value: json!(value),
                evidence_id: format!("rec:{name}:{field}@{minutes}-{value}"),
                source: name.into(),
                trust_class: trust.into(),
                observed_at: observed,
                confidence: 0.8,
            }
        }
    }

    fn as_of() -> DateTime<Utc> {
        at("2026-11-15T00:00:00Z")
    }

    proptest! {
        /// Shuffled evidence gives a byte-identical state and the same hash.
        #[test]
        fn order_does_not_matter(mut obs in proptest::collection::vec(observation(), 0..30), seed in any::<u64>()) {
            let config = StateConfig::default();
            let first = compute_state(&acme(), &obs, as_of(), &config);
            let n = obs.len().max(1);
            obs.rotate_left((seed as usize) % n);
            obs.reverse();
            let second = compute_state(&acme(), &obs, as_of(), &config);
            prop_assert_eq!(first.canonical_bytes(), second.canonical_bytes());
            prop_assert_eq!(first.state_hash, second.state_hash);
        }

        /// Adding evidence older than a field's trusted backing never changes its value or backing.
        #[test]
        fn older_evidence_never_displaces_newer_trusted(obs in proptest::collection::vec(observation(), 1..30), extra in observation()) {
            let config = StateConfig::default();
            let before = compute_state(&acme(), &obs, as_of(), &config);
            let Some(field) = before.fields.get(&extra.field) else { return Ok(()) };
            prop_assume!(config.rank(&field.trust_class).is_some());
            prop_assume!(extra.observed_at < field.observed_at);
            let mut more = obs.clone();
            more.push(extra.clone());
            let after = compute_state(&acme(), &more, as_of(), &config);
            let changed = &after.fields[&extra.field];
            prop_assert_eq!(&changed.value, &field.value);
            prop_assert_eq!(&changed.source, &field.source);
            prop_assert_eq!(changed.observed_at, field.observed_at);
        }

        /// The state as of T is the state computed from only the evidence known at T.
        #[test]
        fn time_travel_uses_only_what_was_known(obs in proptest::collection::vec(observation(), 0..30), minutes in 0i64..20_000) {
            let config = StateConfig::default();
            let t = at("2026-11-01T00:00:00Z") + chrono::Duration::minutes(minutes);
            let known: Vec<Observation> = obs.iter().filter(|o| o.observed_at <= t).cloned().collect();
            prop_assert_eq!(
                compute_state(&acme(), &obs, t, &config).canonical_bytes(),
                compute_state(&acme(), &known, t, &config).canonical_bytes()
            );
        }
    }
}
