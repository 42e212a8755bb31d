//! Uncertainty turned into the fewest questions. When two trusted systems dispute a critical
//! field that a proposal would rest on (two renewal dates, say), the decision proposes nothing
//! that depends on it and asks one question per field instead, with the competing values and
//! their sources as the options. A person's answer becomes `user_input` evidence: an
//! observation that settles the dispute until a trusted source says something newer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::protocol::{Question, QuestionOption};
use crate::hashing::digest_of;
use crate::world::state::{Claim, EntityRef, EntityState, Observation, critical_fields};

/// The trust class of a person's answer.
pub const USER_INPUT: &str = "user_input";
/// The source system answers are recorded as.
pub const ANSWER_SOURCE: &str = "answer";
/// The most questions one decision asks: each is a person's time.
pub const MAX_QUESTIONS: usize = 10;
/// How long a question waits for an answer by default: 72 hours.
pub const DEFAULT_EXPIRE_AFTER_SECS: u64 = 72 * 3600;

/// A critical field two trusted sources dispute, with each source's claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertain {
    pub entity: EntityRef,
    pub field: String,
    pub claims: Vec<Claim>,
}

impl Uncertain {
    /// `account.renewal_date`: what a playbook names in [`super::Playbook::depends_on`].
    pub fn key(&self) -> String {
        format!("{}.{}", self.entity.entity_type, self.field)
    }

    /// The question a person answers to settle it.
    pub fn question(&self) -> Question {
        let sources: Vec<&str> = self.claims.iter().map(|c| c.source.as_str()).collect();
        Question {
            entity: self.entity.to_string(),
            field: self.field.clone(),
            question: format!(
                "Which {} of {} is right? {} disagree.",
                self.field.replace('_', " "),
                self.entity,
                listed(&sources)
            ),
            options: self
                .claims
                .iter()
                .map(|c| QuestionOption {
                    value: c.value.clone(),
                    source: c.source.clone(),
                    evidence_ref: Some(c.evidence_id.clone()),
                })
                .collect(),
        }
    }
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The critical fields of the entities that trusted sources dispute, in entity order.
pub fn uncertain_fields(entities: &[EntityState]) -> Vec<Uncertain> {
    entities
        .iter()
        .flat_map(|state| {
            critical_fields(&state.entity.entity_type)
                .iter()
                .filter_map(move |field| {
                    let claims = state.fields.get(*field)?.contradiction.clone()?;
                    Some(Uncertain {
                        entity: state.entity.clone(),
                        field: field.to_string(),
                        claims,
                    })
                })
        })
        .collect()
}

/// A question's id: the same decision asking about the same field gets the same id, so a
/// retried activity stores it once.
pub fn question_id(decision_id: &str, question: &Question) -> String {
    let digest = digest_of(&serde_json::json!({
        "decision": decision_id,
        "entity": question.entity,
        "field": question.field,
    }));
    format!("q-{}", &digest[..16])
}

/// An answer as a person sends it (the API, the CLI, or a raw Temporal signal): the option's
/// number, or a value of their own, and the answer token the API minted for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerPayload {
    pub question_id: String,
    /// 1-based, as the options are shown.
    #[serde(default)]
    pub choice: Option<usize>,
    #[serde(default)]
    pub value: Option<Value>,
    pub token: String,
}

/// Reads an answer from a signal's raw JSON; the message names the field that is wrong.
pub fn parse_answer(payload: &Value) -> Result<AnswerPayload, String> {
    let answer: AnswerPayload =
        serde_json::from_value(payload.clone()).map_err(|e| format!("answer payload: {e}"))?;
    if answer.question_id.trim().is_empty() {
        return Err("answer payload: question_id is required".into());
    }
    if answer.token.trim().is_empty() {
        return Err("answer payload: token is required".into());
    }
    match (answer.choice, &answer.value) {
        (Some(_), Some(_)) => Err("answer payload: give choice or value, not both".into()),
        (None, None) => Err("answer payload: choice or value is required".into()),
        _ => Ok(answer),
    }
}

/// The value an answer settles the field on: the chosen option's, or the person's own, which
/// must be a string of the field's kind (a date for `*_date`).
pub fn answered_value(
    options: &[QuestionOption],
    field: &str,
    choice: Option<usize>,
    value: Option<&Value>,
) -> Result<Value, String> {
    if let Some(n) = choice {
        return options
            .get(n.wrapping_sub(1))
            .map(|o| o.value.clone())
            .ok_or_else(|| format!("choice {n} is not an option (1..={})", options.len()));
    }
    let Some(Value::String(text)) = value else {
        return Err("value must be a string".into());
    };
    let text = text.trim();
    if text.is_empty() || text.len() > 256 {
        return Err("value must be 1 to 256 characters".into());
    }
    if field.ends_with("_date") && text.parse::<NaiveDate>().is_err() {
        return Err(format!("{field} must be a date (YYYY-MM-DD), not {text:?}"));
    }
    Ok(Value::String(text.to_string()))
}

/// A person's answer as an observation of the field: it supersedes every claim observed by
/// then (see `world::state::compute`).
pub fn answer_observation(
    entity: &EntityRef,
    field: &str,
    value: Value,
    evidence_id: &str,
    answered_at: DateTime<Utc>,
) -> Observation {
    Observation {
        entity: entity.clone(),
        field: field.to_string(),
        value,
        evidence_id: evidence_id.to_string(),
        source: ANSWER_SOURCE.to_string(),
        trust_class: USER_INPUT.to_string(),
        observed_at: answered_at,
        confidence: 1.0,
    }
}

/// `account:acme` back into its parts.
pub fn parse_entity(text: &str) -> Option<EntityRef> {
    let (entity_type, entity_id) = text.split_once(':')?;
    (!entity_type.is_empty() && !entity_id.is_empty())
        .then(|| EntityRef::new(entity_type, entity_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::state::{StateConfig, compute_state};
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn claim(value: &str, source: &str, ev: &str, observed: &str) -> Observation {
        Observation {
            entity: EntityRef::new("account", "acme"),
            field: "renewal_date".into(),
            value: json!(value),
            evidence_id: ev.into(),
            source: source.into(),
            trust_class: "crm".into(),
            observed_at: at(observed),
            confidence: 1.0,
        }
    }

    fn disputed() -> Vec<Observation> {
        vec![
            claim("2027-01-31", "salesforce", "ev-1", "2026-11-01T00:00:00Z"),
            claim("2027-03-31", "contracts", "ev-2", "2026-11-02T00:00:00Z"),
        ]
    }

    fn state(observations: &[Observation], as_of: &str) -> EntityState {
        compute_state(
            &EntityRef::new("account", "acme"),
            observations,
            at(as_of),
            &StateConfig::default(),
        )
    }

    #[test]
    fn a_disputed_critical_field_is_one_question_with_each_claim_as_an_option() {
        let found = uncertain_fields(&[state(&disputed(), "2026-11-03T00:00:00Z")]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key(), "account.renewal_date");
        let q = found[0].question();
        assert_eq!(q.entity, "account:acme");
        assert_eq!(q.field, "renewal_date");
        let options: Vec<(&Value, &str)> = q
            .options
            .iter()
            .map(|o| (&o.value, o.source.as_str()))
            .collect();
        assert_eq!(
            options,
            [
                (&json!("2027-03-31"), "contracts"),
                (&json!("2027-01-31"), "salesforce")
            ]
        );
        assert!(q.question.contains("renewal date"), "{}", q.question);
        assert_eq!(question_id("d1", &q), question_id("d1", &q));
        assert_ne!(question_id("d1", &q), question_id("d2", &q));
    }

    #[test]
    fn an_undisputed_or_non_critical_field_asks_nothing() {
        let one = vec![disputed().remove(0)];
        assert!(uncertain_fields(&[state(&one, "2026-11-03T00:00:00Z")]).is_empty());
        let mut other = disputed();
        for o in &mut other {
            o.field = "industry".into();
        }
        assert!(uncertain_fields(&[state(&other, "2026-11-03T00:00:00Z")]).is_empty());
    }

    #[test]
    fn an_answer_settles_the_field_until_a_trusted_source_says_something_newer() {
        let mut observations = disputed();
        observations.push(answer_observation(
            &EntityRef::new("account", "acme"),
            "renewal_date",
            json!("2027-03-31"),
            "ev-answer",
            at("2026-11-05T00:00:00Z"),
        ));
        let settled = state(&observations, "2026-11-06T00:00:00Z");
        let field = &settled.fields["renewal_date"];
        assert_eq!(field.value, json!("2027-03-31"));
        assert_eq!(field.contradiction, None);
        assert_eq!(field.source, ANSWER_SOURCE);
        assert!(uncertain_fields(&[settled]).is_empty());
        // Before the answer, the dispute stood.
        assert!(!uncertain_fields(&[state(&observations, "2026-11-04T00:00:00Z")]).is_empty());
        // A newer trusted claim outranks the answer.
        observations.push(claim(
            "2027-06-30",
            "salesforce",
            "ev-3",
            "2026-11-07T00:00:00Z",
        ));
        let later = state(&observations, "2026-11-08T00:00:00Z");
        assert_eq!(later.fields["renewal_date"].value, json!("2027-06-30"));
        assert_eq!(later.fields["renewal_date"].source, "salesforce");
    }

    #[test]
    fn answers_are_parsed_strictly() {
        let ok = parse_answer(&json!({"question_id": "q-1", "choice": 2, "token": "t"})).unwrap();
        assert_eq!(ok.choice, Some(2));
        for (payload, says) in [
            (json!({"question_id": "q-1", "choice": 1}), "token"),
            (
                json!({"question_id": "", "choice": 1, "token": "t"}),
                "question_id",
            ),
            (
                json!({"question_id": "q-1", "token": "t"}),
                "choice or value",
            ),
            (
                json!({"question_id": "q-1", "choice": 1, "value": "x", "token": "t"}),
                "not both",
            ),
            (
                json!({"question_id": "q-1", "choice": 1, "token": "t", "approver": "m"}),
                "approver",
            ),
            (json!("approve"), "answer payload"),
        ] {
            let err = parse_answer(&payload).unwrap_err();
            assert!(err.contains(says), "{payload}: {err}");
        }
    }

    #[test]
    fn an_answered_value_is_an_option_or_a_value_of_the_fields_kind() {
        let q = uncertain_fields(&[state(&disputed(), "2026-11-03T00:00:00Z")])[0].question();
        assert_eq!(
            answered_value(&q.options, "renewal_date", Some(2), None),
            Ok(json!("2027-01-31"))
        );
        assert!(answered_value(&q.options, "renewal_date", Some(0), None).is_err());
        assert!(answered_value(&q.options, "renewal_date", Some(3), None).is_err());
        assert_eq!(
            answered_value(&q.options, "renewal_date", None, Some(&json!("2027-02-28"))),
            Ok(json!("2027-02-28"))
        );
        let err =
            answered_value(&q.options, "renewal_date", None, Some(&json!("soon"))).unwrap_err();
        assert!(err.contains("must be a date"), "{err}");
        assert!(answered_value(&q.options, "owner", None, Some(&json!(7))).is_err());
        assert_eq!(
            parse_entity("account:acme"),
            Some(EntityRef::new("account", "acme"))
        );
        assert_eq!(parse_entity("acme"), None);
    }
}
