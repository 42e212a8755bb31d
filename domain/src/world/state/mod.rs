//! World state computed from evidence, deterministically: every field of every entity carries
//! its value, the evidence it rests on, the source and trust class, when it was observed, a
//! confidence and its freshness. Two trusted sources that disagree within the freshness window
//! leave a recorded contradiction instead of a silent pick.
//!
//! Pure: the same observations in any order, at the same `as_of`, give a byte-identical state
//! and the same state hash; the state "as of" an instant uses only what was known by then.

mod compute;
mod config;
mod from_records;
mod observation;
mod schema;

pub use compute::{Claim, EntityState, FieldState, Freshness, compute_state};
pub use config::StateConfig;
pub use from_records::{
    Provenance, Unknown, critical_fields, entity_of, observations_of, observations_of_all, tier,
    unknowns,
};
pub use observation::{EntityRef, Observation};
pub use schema::{
    EntitySchema, SchemaChecker, SchemaError, SchemaPin, SchemaRef, builtin_schemas, check_state,
    resolve,
};

/// The state of every entity the observations speak of, as of `as_of`, ordered by entity.
pub fn entity_states(
    observations: &[Observation],
    as_of: chrono::DateTime<chrono::Utc>,
    config: &StateConfig,
) -> Vec<EntityState> {
    // Grouped first, so each entity's state reads only its own observations.
    let mut by_entity: std::collections::BTreeMap<&EntityRef, Vec<Observation>> =
        Default::default();
    for o in observations {
        by_entity.entry(&o.entity).or_default().push(o.clone());
    }
    by_entity
        .into_iter()
        .map(|(e, own)| compute_state(e, &own, as_of, config))
        .filter(|s| !s.fields.is_empty())
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;

    /// Acme's account state on 2026-11-21 from the CRM's claims of 2026-11-20, one per field.
    pub fn acme_account(fields: &[(&str, serde_json::Value)]) -> EntityState {
        let acme = EntityRef::new("account", "acme");
        let observed: chrono::DateTime<chrono::Utc> = "2026-11-20T00:00:00Z".parse().unwrap();
        let obs: Vec<Observation> = fields
            .iter()
            .map(|(f, v)| Observation {
                entity: acme.clone(),
                field: f.to_string(),
                value: v.clone(),
                evidence_id: format!("rec:account:acme@{f}"),
                source: "salesforce".into(),
                trust_class: "crm".into(),
                observed_at: observed,
                confidence: 1.0,
            })
            .collect();
        let as_of = observed + chrono::Duration::days(1);
        compute_state(&acme, &obs, as_of, &StateConfig::default())
    }
}
