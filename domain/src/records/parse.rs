//! Line-by-line parsing with errors that name the line and the field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Record;
use super::kinds::*;

/// A line that could not become a record, kept with its error so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedLine {
    /// 1-based line number in the batch.
    pub line: usize,
    /// The offending field (`"type"`, `"arr"`, `"attendee_ids[2]"`), or `None` when the line is
    /// not a JSON object at all.
    pub field: Option<String>,
    pub message: String,
    pub raw: String,
}

impl std::fmt::Display for RejectedLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "line {}: field `{field}`: {}", self.line, self.message),
            None => write!(f, "line {}: {}", self.line, self.message),
        }
    }
}

/// The result of parsing a batch: good records with their line numbers, and rejected lines.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParseOutcome {
    pub records: Vec<(usize, Record)>,
    pub rejected: Vec<RejectedLine>,
}

/// Parses JSONL text. Blank lines are skipped; every other line is a record or a rejection.
/// When a batch holds two versions of one record, the newest `updated_at` wins (the later line
/// on a tie) and the other is reported as rejected, naming the line that replaced it.
pub fn parse_jsonl(text: &str) -> ParseOutcome {
    let mut outcome = ParseOutcome::default();
    let mut raws = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        if raw.trim().is_empty() {
            continue;
        }
        match parse_line(index + 1, raw) {
            Ok(record) => {
                outcome.records.push((index + 1, record));
                raws.push(raw);
            }
            Err(rejected) => outcome.rejected.push(rejected),
        }
    }
    keep_newest_versions(&mut outcome, &raws);
    outcome
}

/// Of several versions of one record in a batch, keeps the newest; the others become rejected
/// lines, so the counts say what was really accepted.
fn keep_newest_versions(outcome: &mut ParseOutcome, raws: &[&str]) {
    let mut newest: std::collections::HashMap<super::RecordKey, usize> = Default::default();
    for (i, (_, record)) in outcome.records.iter().enumerate() {
        newest
            .entry(record.key())
            .and_modify(|kept| {
                if record.updated_at() >= outcome.records[*kept].1.updated_at() {
                    *kept = i;
                }
            })
            .or_insert(i);
    }
    if newest.len() == outcome.records.len() {
        return;
    }
    let kept_at: Vec<(usize, chrono::DateTime<chrono::Utc>)> = outcome
        .records
        .iter()
        .map(|(line, r)| (*line, r.updated_at()))
        .collect();
    let records = std::mem::take(&mut outcome.records);
    for (i, (line, record)) in records.into_iter().enumerate() {
        let kept = newest[&record.key()];
        if kept == i {
            outcome.records.push((line, record));
        } else {
            let (kept_line, kept_updated) = kept_at[kept];
            outcome.rejected.push(RejectedLine {
                line,
                field: Some("id".into()),
                message: format!(
                    "{} {} appears again on line {kept_line} with a newer or equal updated_at ({kept_updated}), which wins",
                    record.record_type(),
                    record.id(),
                ),
                raw: raws[i].to_string(),
            });
        }
    }
    outcome.rejected.sort_by_key(|r| r.line);
}

/// Parses one line into a record, or says precisely which field of which line is wrong.
pub fn parse_line(line: usize, raw: &str) -> Result<Record, RejectedLine> {
    let reject = |field: Option<&str>, message: String| RejectedLine {
        line,
        field: field.map(str::to_string),
        message,
        raw: raw.to_string(),
    };
    let value: Value =
        serde_json::from_str(raw).map_err(|err| reject(None, format!("not valid JSON: {err}")))?;
    let Value::Object(object) = &value else {
        return Err(reject(None, "expected a JSON object".to_string()));
    };
    let record_type = match object.get("type") {
        None => return Err(reject(Some("type"), "missing required field".to_string())),
        Some(Value::String(t)) => t.clone(),
        Some(other) => {
            return Err(reject(
                Some("type"),
                format!("expected a string, found {}", json_kind(other)),
            ));
        }
    };
    let typed = |value: Value| -> Result<Record, RejectedLine> {
        match record_type.as_str() {
            "account" => body::<Account>(value)
                .and_then(check_account)
                .map(Record::Account),
            "contact" => body(value).map(Record::Contact),
            "opportunity" => body::<Opportunity>(value)
                .and_then(check_opportunity)
                .map(Record::Opportunity),
            "contract" => body::<Contract>(value)
                .and_then(check_contract)
                .map(Record::Contract),
            "ticket" => body::<Ticket>(value)
                .and_then(check_ticket)
                .map(Record::Ticket),
            "usage" => body(value).map(Record::Usage),
            "meeting" => body(value).map(Record::Meeting),
            "activity" => body(value).map(Record::Activity),
            "news" => body(value).map(Record::News),
            "note" => body(value).map(Record::Note),
            other => Err((
                "type".to_string(),
                format!(
                    "unknown record type {other:?}; expected one of account, contact, opportunity, \
                     contract, ticket, usage, meeting, activity, news, note"
                ),
            )),
        }
        .map_err(|(field, message)| reject(Some(&field), message))
    };
    typed(value)
}

/// Deserializes a record body, turning serde's error into (field path, message).
fn body<T: DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        // A missing field is reported by serde at the parent: pull its name out of the message.
        if let Some(name) = inner
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let field = if path == "." {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return (field, "missing required field".to_string());
        }
        (path, inner)
    })
}

/// Money is never negative: a negative ARR or amount is a broken export, not a fact.
fn not_negative(field: &str, value: Option<i64>) -> Result<(), (String, String)> {
    match value {
        Some(v) if v < 0 => Err((
            field.to_string(),
            format!("must not be negative, found {v}"),
        )),
        _ => Ok(()),
    }
}

fn check_account(account: Account) -> Result<Account, (String, String)> {
    not_negative("arr", account.arr)?;
    Ok(account)
}

fn check_opportunity(opportunity: Opportunity) -> Result<Opportunity, (String, String)> {
    not_negative("amount", opportunity.amount)?;
    Ok(opportunity)
}

fn check_contract(contract: Contract) -> Result<Contract, (String, String)> {
    not_negative("arr", contract.arr)?;
    if contract.end_date < contract.start_date {
        return Err((
            "end_date".to_string(),
            format!(
                "{} is before the start date {}",
                contract.end_date, contract.start_date
            ),
        ));
    }
    Ok(contract)
}

fn check_ticket(ticket: Ticket) -> Result<Ticket, (String, String)> {
    if !(1..=4).contains(&ticket.severity) {
        return Err((
            "severity".to_string(),
            format!("must be 1 (most severe) to 4, found {}", ticket.severity),
        ));
    }
    Ok(ticket)
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = r#"{"type":"account","id":"acme","updated_at":"2026-01-02T03:04:05Z","name":"Acme","arr":120000}"#;

    #[test]
    fn impossible_values_are_refused_by_field() {
        let negative = r#"{"type":"account","id":"a","updated_at":"2026-01-02T03:04:05Z","name":"A","arr":-5}"#;
        let err = parse_line(7, negative).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (7, Some("arr")));
        assert!(err.message.contains("must not be negative"));
        let backwards = r#"{"type":"contract","id":"c","account_id":"a","updated_at":"2026-01-02T03:04:05Z","start_date":"2026-05-01","end_date":"2026-04-01"}"#;
        let err = parse_line(1, backwards).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("end_date"));
        assert!(
            err.message.contains("before the start date 2026-05-01"),
            "{}",
            err.message
        );
    }

    #[test]
    fn of_two_versions_in_a_batch_the_newest_wins_and_the_other_is_reported() {
        let older =
            r#"{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Old"}"#;
        let newer =
            r#"{"type":"account","id":"acme","updated_at":"2026-02-01T00:00:00Z","name":"New"}"#;
        for (text, kept_line, dropped_line) in [
            (format!("{newer}\n{older}\n"), 1, 2),
            (format!("{older}\n{newer}\n"), 2, 1),
        ] {
            let out = parse_jsonl(&text);
            assert_eq!(out.records.len(), 1);
            assert_eq!(out.records[0].0, kept_line);
            let Record::Account(a) = &out.records[0].1 else {
                panic!()
            };
            assert_eq!(a.name, "New");
            assert_eq!(out.rejected.len(), 1);
            assert_eq!(out.rejected[0].line, dropped_line);
            assert!(
                out.rejected[0]
                    .message
                    .contains(&format!("appears again on line {kept_line}")),
                "{}",
                out.rejected[0].message
            );
        }
    }

    #[test]
    fn parses_a_valid_account() {
        let record = parse_line(1, ACCOUNT).unwrap();
        assert_eq!(record.record_type(), "account");
        assert_eq!(record.account_id().as_str(), "acme");
    }

    #[test]
    fn bad_json_names_the_line() {
        let err = parse_line(7, "{not json").unwrap_err();
        assert_eq!(err.line, 7);
        assert_eq!(err.field, None);
        assert!(err.message.starts_with("not valid JSON"), "{}", err.message);
    }

    #[test]
    fn missing_id_names_the_field() {
        let err = parse_line(
            2,
            r#"{"type":"account","updated_at":"2026-01-02T03:04:05Z","name":"A"}"#,
        )
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("id"));
        assert_eq!(err.message, "missing required field");
    }

    #[test]
    fn wrong_type_for_arr_names_the_field() {
        let line = ACCOUNT.replace("120000", "\"lots\"");
        let err = parse_line(3, &line).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("arr"));
        assert!(err.message.contains("invalid type"), "{}", err.message);
        assert_eq!(err.raw, line);
    }

    #[test]
    fn unknown_type_names_the_type_field() {
        let err = parse_line(4, r#"{"type":"invoice","id":"x"}"#).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("type"));
        assert!(err.message.contains("unknown record type \"invoice\""));
    }

    #[test]
    fn ticket_severity_is_bounded() {
        let line = r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-01-02T03:04:05Z","subject":"s","severity":5,"status":"open","opened_at":"2026-01-01T00:00:00Z"}"#;
        let err = parse_line(1, line).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("severity"));
    }

    #[test]
    fn nested_errors_keep_their_path() {
        let line = r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-01-02T03:04:05Z","title":"QBR","starts_at":"2026-01-03T00:00:00Z","status":"scheduled","attendee_ids":["a",3]}"#;
        let err = parse_line(1, line).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("attendee_ids[1]"));
    }

    #[test]
    fn a_batch_keeps_good_lines_and_rejects_bad_ones() {
        let other = ACCOUNT.replace("\"acme\"", "\"globex\"");
        let text = format!("{ACCOUNT}\n\n{{bad\n{other}\n");
        let outcome = parse_jsonl(&text);
        assert_eq!(outcome.records.len(), 2);
        assert_eq!(outcome.records[1].0, 4);
        assert_eq!(outcome.rejected.len(), 1);
        assert_eq!(outcome.rejected[0].line, 3);
    }
}
