//! The schema registry: a JSON Schema per entity type and version, identified by the hash of
//! its canonical JSON. A state is written only after its entity's schema resolves and the
//! state conforms; a missing schema or a hash other than the one the tenant pinned fails
//! closed, with an error that says which.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::EntityState;
use crate::hashing::digest_of;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntitySchema {
    pub entity_type: String,
    pub version: u32,
    /// A JSON Schema for the object of the entity's field values.
    pub schema: Value,
}

impl EntitySchema {
    pub fn hash(&self) -> String {
        digest_of(&self.schema)
    }
}

/// Which schema a state was checked against: what snapshots bind to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRef {
    pub entity_type: String,
    pub version: u32,
    pub hash: String,
}

/// A tenant's demand that an entity type be checked with exactly this schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaPin {
    pub version: u32,
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum SchemaError {
    #[error("no schema for entity type {entity_type} version {version}")]
    Missing { entity_type: String, version: u32 },
    #[error("schema {entity_type} v{version} has hash {actual}, but the tenant pinned {expected}")]
    HashMismatch {
        entity_type: String,
        version: u32,
        expected: String,
        actual: String,
    },
    #[error("{entity} does not conform to {entity_type} v{version}: {}", errors.join("; "))]
    Invalid {
        entity: String,
        entity_type: String,
        version: u32,
        errors: Vec<String>,
    },
}

fn object(properties: &[(&str, Value)]) -> Value {
    let props: serde_json::Map<String, Value> = properties
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({ "type": "object", "properties": props })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn date() -> Value {
    json!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" })
}

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

/// The schemas revloop ships, version 1 of each entity type its records make.
pub fn builtin_schemas() -> Vec<EntitySchema> {
    let v1 = |entity_type: &str, schema: Value| EntitySchema {
        entity_type: entity_type.to_string(),
        version: 1,
        schema,
    };
    vec![
        v1(
            "account",
            object(&[
                ("name", string()),
                ("owner", string()),
                ("segment", string()),
                ("arr", integer()),
                ("industry", string()),
                ("territory", string()),
                ("renewal_date", date()),
                ("contract_arr", integer()),
            ]),
        ),
        v1(
            "contact",
            object(&[
                ("name", string()),
                ("title", string()),
                ("email", string()),
                ("role", string()),
                ("is_primary", boolean()),
                ("active", boolean()),
            ]),
        ),
        v1(
            "opportunity",
            object(&[
                ("name", string()),
                ("stage", string()),
                ("amount", integer()),
                ("close_date", date()),
                ("owner", string()),
            ]),
        ),
        v1(
            "contract",
            object(&[
                ("start_date", date()),
                ("end_date", date()),
                ("arr", integer()),
                ("auto_renew", boolean()),
            ]),
        ),
        v1(
            "ticket",
            object(&[
                ("subject", string()),
                ("severity", integer()),
                ("status", string()),
                ("escalated", boolean()),
            ]),
        ),
        v1(
            "usage",
            object(&[
                ("date", date()),
                ("metric", string()),
                ("value", json!({ "type": "number" })),
            ]),
        ),
        v1(
            "meeting",
            object(&[("title", string()), ("status", string())]),
        ),
        v1(
            "activity",
            object(&[("kind", string()), ("direction", string())]),
        ),
        v1(
            "news",
            object(&[("kind", string()), ("headline", string())]),
        ),
        v1("note", object(&[("text", string())])),
    ]
}

/// Resolves the schema an entity type is checked with: the pinned version and hash when the
/// tenant pinned one, else the latest version. Fails closed.
pub fn resolve<'a>(
    registry: &'a [EntitySchema],
    entity_type: &str,
    pins: &BTreeMap<String, SchemaPin>,
) -> Result<&'a EntitySchema, SchemaError> {
    let Some(pin) = pins.get(entity_type) else {
        return registry
            .iter()
            .filter(|s| s.entity_type == entity_type)
            .max_by_key(|s| s.version)
            .ok_or_else(|| SchemaError::Missing {
                entity_type: entity_type.to_string(),
                version: 0,
            });
    };
    let schema = registry
        .iter()
        .find(|s| s.entity_type == entity_type && s.version == pin.version)
        .ok_or_else(|| SchemaError::Missing {
            entity_type: entity_type.to_string(),
            version: pin.version,
        })?;
    let actual = schema.hash();
    if actual != pin.hash {
        return Err(SchemaError::HashMismatch {
            entity_type: entity_type.to_string(),
            version: pin.version,
            expected: pin.hash.clone(),
            actual,
        });
    }
    Ok(schema)
}

/// The registry with every schema compiled and hashed once, for checking many states.
pub struct SchemaChecker {
    registry: Vec<EntitySchema>,
    /// Per registry entry: its hash, and its validator (or why it does not compile).
    compiled: Vec<(String, Result<jsonschema::Validator, String>)>,
}

impl SchemaChecker {
    pub fn new(registry: Vec<EntitySchema>) -> Self {
        let compiled = registry
            .iter()
            .map(|s| {
                let validator = jsonschema::validator_for(&s.schema).map_err(|e| e.to_string());
                (s.hash(), validator)
            })
            .collect();
        Self { registry, compiled }
    }

    /// Checks a state against its entity type's schema; returns the schema it conforms to.
    pub fn check(
        &self,
        state: &EntityState,
        pins: &BTreeMap<String, SchemaPin>,
    ) -> Result<SchemaRef, SchemaError> {
        let schema = resolve(&self.registry, &state.entity.entity_type, pins)?;
        let invalid = |errors: Vec<String>| SchemaError::Invalid {
            entity: state.entity.to_string(),
            entity_type: schema.entity_type.clone(),
            version: schema.version,
            errors,
        };
        let (hash, validator) = self
            .registry
            .iter()
            .position(|s| std::ptr::eq(s, schema))
            .map(|i| &self.compiled[i])
            .ok_or_else(|| invalid(vec!["the schema is not in the registry".into()]))?;
        let validator = validator
            .as_ref()
            .map_err(|e| invalid(vec![format!("the schema itself: {e}")]))?;
        let values: serde_json::Map<String, Value> = state
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect();
        let instance = Value::Object(values);
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Ok(SchemaRef {
            entity_type: schema.entity_type.clone(),
            version: schema.version,
            hash: hash.clone(),
        })
    }
}

/// Checks a state against its entity type's schema; returns the schema it conforms to.
pub fn check_state(
    state: &EntityState,
    registry: &[EntitySchema],
    pins: &BTreeMap<String, SchemaPin>,
) -> Result<SchemaRef, SchemaError> {
    SchemaChecker::new(registry.to_vec()).check(state, pins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::state::EntityRef;

    fn state(fields: &[(&str, Value)]) -> EntityState {
        crate::world::state::test_support::acme_account(fields)
    }

    fn account_schema() -> EntitySchema {
        builtin_schemas()
            .into_iter()
            .find(|s| s.entity_type == "account")
            .unwrap()
    }

    #[test]
    fn a_conforming_state_resolves_to_its_schema() {
        let s = state(&[
            ("name", json!("Acme")),
            ("renewal_date", json!("2027-01-31")),
        ]);
        let checked = check_state(&s, &builtin_schemas(), &BTreeMap::new()).unwrap();
        assert_eq!(
            (checked.entity_type.as_str(), checked.version),
            ("account", 1)
        );
        assert_eq!(checked.hash, account_schema().hash());
    }

    #[test]
    fn a_pinned_hash_that_does_not_match_fails_closed() {
        let s = state(&[("name", json!("Acme"))]);
        let pins = BTreeMap::from([(
            "account".to_string(),
            SchemaPin {
                version: 1,
                hash: "0".repeat(64),
            },
        )]);
        let err = check_state(&s, &builtin_schemas(), &pins).unwrap_err();
        assert!(matches!(err, SchemaError::HashMismatch { .. }), "{err}");
        assert!(err.to_string().contains("pinned 0000"), "{err}");
        let right = BTreeMap::from([(
            "account".to_string(),
            SchemaPin {
                version: 1,
                hash: account_schema().hash(),
            },
        )]);
        assert!(check_state(&s, &builtin_schemas(), &right).is_ok());
        let absent = BTreeMap::from([(
            "account".to_string(),
            SchemaPin {
                version: 2,
                hash: account_schema().hash(),
            },
        )]);
        assert!(matches!(
            check_state(&s, &builtin_schemas(), &absent),
            Err(SchemaError::Missing { version: 2, .. })
        ));
    }

    #[test]
    fn unknown_types_and_nonconforming_values_fail_closed() {
        let mut s = state(&[("name", json!("Acme"))]);
        s.entity = EntityRef::new("spaceship", "x");
        assert!(matches!(
            check_state(&s, &builtin_schemas(), &BTreeMap::new()),
            Err(SchemaError::Missing { .. })
        ));
        let bad = state(&[
            ("renewal_date", json!("next spring")),
            ("arr", json!("a lot")),
        ]);
        let err = check_state(&bad, &builtin_schemas(), &BTreeMap::new()).unwrap_err();
        let SchemaError::Invalid { errors, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(errors.len(), 2, "{errors:?}");
    }

    #[test]
    fn a_schema_hash_is_stable_and_changes_with_the_schema() {
        let mut schema = account_schema();
        let before = schema.hash();
        assert_eq!(before, account_schema().hash());
        schema.schema["properties"]["name"] = json!({ "type": "integer" });
        assert_ne!(schema.hash(), before);
    }
}
