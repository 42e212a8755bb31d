//! How long a computed account state stays true. The state as of an instant depends on the
//! instant only through thresholds: which evidence and signals are known by then, which claims
//! are past their soft or hard TTL, which signals have expired or left the 30-day window.
//! Between two consecutive thresholds it is the same state, only older. This is what lets a
//! cache answer for any instant inside the span it computed, and know exactly when it must not.

use chrono::{DateTime, Duration, Utc};

use super::account_state::{AccountState, WINDOW_DAYS};
use super::state::{EntityState, Observation, StateConfig};
use crate::signals::Signal;

/// The instants `[from, until)` over which the state is unchanged but for its age. `None` is
/// unbounded on that side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableSpan {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl StableSpan {
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.from.is_none_or(|from| from <= at) && self.until.is_none_or(|until| at < until)
    }

    /// The part of the span, around `at`, that no further threshold crosses (a threshold is an
    /// instant from which on something more is true).
    pub fn narrowed(
        self,
        thresholds: impl IntoIterator<Item = DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> StableSpan {
        thresholds.into_iter().fold(self, |span, t| {
            if t <= at {
                StableSpan {
                    from: Some(span.from.map_or(t, |f| f.max(t))),
                    ..span
                }
            } else {
                StableSpan {
                    until: Some(span.until.map_or(t, |u| u.min(t))),
                    ..span
                }
            }
        })
    }
}

fn plus_secs(t: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
    t.checked_add_signed(Duration::try_seconds(secs)?)
}

/// Every instant at which the state may change. Each threshold is added together with the
/// next nanosecond, so that whether a comparison is strict or not, the change falls on one.
fn thresholds(
    observations: &[Observation],
    signals: &[Signal],
    config: &StateConfig,
) -> Vec<DateTime<Utc>> {
    let window = WINDOW_DAYS * 86_400;
    let mut out = Vec::with_capacity(observations.len() * 8 + signals.len() * 6);
    for o in observations {
        let ttl = config.ttl_for(&o.trust_class);
        out.push(Some(o.observed_at));
        // Ages are whole seconds: a claim is past its TTL from TTL + 1 s on.
        out.push(plus_secs(o.observed_at, ttl.soft_secs.saturating_add(1)));
        out.push(plus_secs(o.observed_at, ttl.hard_secs.saturating_add(1)));
        out.push(plus_secs(o.observed_at, window));
    }
    for s in signals {
        out.push(Some(s.detected_at));
        out.push(Some(s.expires_at));
        out.push(plus_secs(s.detected_at, window));
    }
    let nanosecond = Duration::nanoseconds(1);
    out.into_iter()
        .flatten()
        .flat_map(|t| [Some(t), t.checked_add_signed(nanosecond)])
        .flatten()
        .collect()
}

/// The span around `at` over which the account state computed from these observations and
/// signals stays the same but for its age.
pub fn stable_span(
    observations: &[Observation],
    signals: &[Signal],
    config: &StateConfig,
    at: DateTime<Utc>,
) -> StableSpan {
    let all = thresholds(observations, signals, config);
    StableSpan {
        from: all.iter().copied().filter(|t| *t <= at).max(),
        until: all.iter().copied().filter(|t| *t > at).min(),
    }
}

/// The same entity state, as of a later or earlier instant inside its stable span.
pub fn entity_state_at(state: &EntityState, at: DateTime<Utc>) -> EntityState {
    let mut aged = state.clone();
    aged.as_of = at;
    for field in aged.fields.values_mut() {
        field.age_secs = (at - field.observed_at).num_seconds();
    }
    aged
}

/// The same account state, as of another instant inside its stable span.
pub fn account_state_at(state: &AccountState, at: DateTime<Utc>) -> AccountState {
    AccountState {
        as_of: at,
        ..state.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, TenantId};
    use crate::signals::{Severity, SignalType};
    use crate::validators::SourceTtl;
    use crate::world::account_state;
    use crate::world::state::{EntityRef, entity_states};
    use proptest::prelude::*;
    use serde_json::json;

    fn base() -> DateTime<Utc> {
        "2026-09-01T00:00:00Z".parse().unwrap()
    }

    const SOURCES: [(&str, &str); 3] = [
        ("salesforce", "crm"),
        ("ironclad", "contract"),
        ("newswire", "news"),
    ];
    const FIELDS: [&str; 3] = ["name", "owner", "renewal_date"];
    const SIGNALS: [SignalType; 3] = [
        SignalType::UsageDropPercent,
        SignalType::ProductUsageSpike,
        SignalType::CloseDateSlipped,
    ];

    /// Short TTLs, so that thresholds fall inside the generated weeks.
    fn config() -> StateConfig {
        let mut config = StateConfig::default();
        config.ttls.insert("crm".into(), SourceTtl::days(2, 5));
        config.ttls.insert("contract".into(), SourceTtl::days(3, 9));
        config.default_ttl = SourceTtl::days(1, 4);
        config
    }

    fn observation(
        (entity, field, value, source, minutes): (usize, usize, u8, usize, i64),
    ) -> Observation {
        let (source, trust) = SOURCES[source];
        Observation {
            entity: EntityRef::new(if entity == 0 { "account" } else { "contact" }, "e1"),
            field: FIELDS[field].into(),
            value: json!(value),
            evidence_id: format!("ev-{source}-{minutes}"),
            source: source.into(),
            trust_class: trust.into(),
            observed_at: base() + Duration::minutes(minutes),
            confidence: 0.9,
        }
    }

    fn signal((kind, minutes, days): (usize, i64, i64)) -> Signal {
        let detected = base() + Duration::minutes(minutes);
        Signal {
            signal_id: format!("sig-{kind}-{minutes}"),
            signal_type: SIGNALS[kind],
            tenant_id: TenantId::parse("t1").unwrap(),
            account_id: AccountId::parse("e1").unwrap(),
            severity: Severity::High,
            confidence: 0.9,
            evidence_refs: vec![],
            detected_at: detected,
            expires_at: detected + Duration::days(days),
            dedup_key: format!("k{kind}{minutes}"),
            details: json!({}),
        }
    }

    fn world(
        observations: &[Observation],
        signals: &[Signal],
        at: DateTime<Utc>,
    ) -> (AccountState, Vec<EntityState>) {
        let entities = entity_states(observations, at, &config());
        (account_state("e1", &entities, signals, at), entities)
    }

    const SIXTY_DAYS: i64 = 60 * 24 * 60;

    proptest! {
        /// The cache's premise: anywhere inside the span, computing afresh gives what the
        /// state computed at one instant says, moved to the other instant.
        #[test]
        fn the_state_anywhere_in_its_span_is_the_computed_state_aged(
            obs in prop::collection::vec((0..2usize, 0..3usize, 0..3u8, 0..3usize, 0..SIXTY_DAYS), 0..14),
            sigs in prop::collection::vec((0..3usize, 0..SIXTY_DAYS, 1..20i64), 0..5),
            at_minutes in 0..SIXTY_DAYS + 40 * 24 * 60,
            fraction in 0.0..1.0f64,
        ) {
            let observations: Vec<Observation> = obs.into_iter().map(observation).collect();
            let signals: Vec<Signal> = sigs.into_iter().map(signal).collect();
            let at = base() + Duration::minutes(at_minutes);
            let span = stable_span(&observations, &signals, &config(), at);
            prop_assert!(span.contains(at));
            let low = span.from.unwrap_or(at - Duration::days(100));
            let high = span.until.unwrap_or(at + Duration::days(100));
            let offset = ((high - low).num_milliseconds() as f64 * fraction) as i64;
            let other = (low + Duration::milliseconds(offset)).min(high - Duration::nanoseconds(1));
            prop_assert!(span.contains(other));

            let (state, entities) = world(&observations, &signals, at);
            let (expected_state, expected_entities) = world(&observations, &signals, other);
            prop_assert_eq!(account_state_at(&state, other), expected_state);
            let aged: Vec<EntityState> = entities.iter().map(|e| entity_state_at(e, other)).collect();
            prop_assert_eq!(aged, expected_entities);
        }
    }

    #[test]
    fn a_claim_going_stale_or_a_signal_expiring_ends_the_span() {
        let claim = observation((0, 0, 1, 0, 0));
        let at = base() + Duration::hours(1);
        let span = stable_span(std::slice::from_ref(&claim), &[], &config(), at);
        assert_eq!(span.from, Some(base() + Duration::nanoseconds(1)));
        assert_eq!(
            span.until,
            Some(base() + Duration::days(2) + Duration::seconds(1)),
            "the CRM's soft TTL is two days"
        );
        let expiring = signal((0, 30, 1));
        let span = stable_span(&[claim], &[expiring], &config(), at);
        assert_eq!(
            span.until,
            Some(base() + Duration::minutes(30) + Duration::days(1))
        );
        let open = stable_span(&[], &[], &config(), at);
        assert_eq!(
            open,
            StableSpan {
                from: None,
                until: None
            }
        );
        let narrowed = open.narrowed([at - Duration::days(1), at, at + Duration::days(1)], at);
        assert_eq!(
            narrowed,
            StableSpan {
                from: Some(at),
                until: Some(at + Duration::days(1))
            }
        );
    }
}
