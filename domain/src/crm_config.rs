//! The tenant's `[crm]` table: which registered CRM connector revloop writes back through.
//! Without it, CRM actions (tasks, notes, field updates, briefs) are kept in revloop's outbox
//! and say so; with it, they land in the CRM once each, keyed by the action.
//!
//! Write-back is opted into on purpose: a connector registered to pull may hold a read-only
//! token, and a tenant that only wants revloop to read must never find it writing.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrmConfig {
    /// The id of a registered `salesforce` connector: its instance, API version, token and rate
    /// limit are the write-backs' too.
    pub connector: String,
    /// A custom External ID field (on Task and ContentVersion) that holds revloop's key for each
    /// write, so a retried write finds the first one instead of making a second.
    #[serde(default = "default_key_field")]
    pub key_field: String,
}

fn default_key_field() -> String {
    "Revloop_Key__c".into()
}

impl CrmConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.connector.trim().is_empty() {
            return Err(
                "crm.connector: required (the id of a registered salesforce connector)".into(),
            );
        }
        let name = self.key_field.strip_suffix("__c").unwrap_or_default();
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "crm.key_field: {:?} is not a custom field name (letters, digits and _ ending in __c)",
                self.key_field
            ));
        }
        Ok(())
    }
}

/// The record and field an `update_crm_field` action changes: `entity` is `type:id`
/// (`opportunity:006A000001`), `field` a canonical field name (`next_step`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTarget {
    pub entity_type: String,
    pub entity_id: String,
    pub field: String,
}

impl FieldTarget {
    pub fn parse(entity: &str, field: &str) -> Result<Self, String> {
        let (entity_type, entity_id) = entity
            .split_once(':')
            .filter(|(t, id)| !t.is_empty() && !id.is_empty())
            .ok_or_else(|| {
                format!("entity {entity:?}: expected type:id, e.g. opportunity:006A000001")
            })?;
        if !entity_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(format!(
                "entity {entity:?}: the id may hold only letters, digits, - and _"
            ));
        }
        if field.is_empty() || !field.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!(
                "field {field:?}: expected a canonical field name, e.g. next_step"
            ));
        }
        Ok(Self {
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
            field: field.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connector_and_key_field_are_checked() {
        let mut crm: CrmConfig = toml::from_str("connector = \"salesforce\"").unwrap();
        assert_eq!(crm.key_field, "Revloop_Key__c");
        assert!(crm.check().is_ok());
        crm.key_field = "Key; DROP".into();
        assert!(crm.check().unwrap_err().starts_with("crm.key_field:"));
        crm.key_field = "__c".into();
        assert!(crm.check().is_err());
        crm.key_field = "Revloop_Key__c".into();
        crm.connector = "".into();
        assert!(
            crm.check()
                .unwrap_err()
                .starts_with("crm.connector: required")
        );
        assert!(toml::from_str::<CrmConfig>("connector = \"x\"\nkey = \"y\"").is_err());
    }

    #[test]
    fn a_field_target_names_a_record_and_a_canonical_field() {
        let t = FieldTarget::parse("opportunity:006A000001", "next_step").unwrap();
        assert_eq!(
            (t.entity_type.as_str(), t.entity_id.as_str()),
            ("opportunity", "006A000001")
        );
        assert!(
            FieldTarget::parse("006A000001", "next_step")
                .unwrap_err()
                .contains("type:id")
        );
        assert!(FieldTarget::parse("opportunity:", "next_step").is_err());
        assert!(
            FieldTarget::parse("opportunity:006/../x", "next_step")
                .unwrap_err()
                .contains("the id")
        );
        assert!(
            FieldTarget::parse("opportunity:006", "NextStep")
                .unwrap_err()
                .contains("canonical")
        );
    }
}
