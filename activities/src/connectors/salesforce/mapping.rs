//! Salesforce objects → canonical records. A record that cannot be mapped whole still becomes
//! a line (missing fields left out), so the record parser quarantines it with a precise error
//! instead of it vanishing; only Tasks that are neither emails nor calls are skipped.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

pub const OBJECTS: [&str; 6] = ["Account", "Contact", "Opportunity", "Case", "Event", "Task"];

/// The SOQL field list for an object.
pub fn fields(object: &str, role_field: Option<&str>) -> Vec<String> {
    let list: &[&str] = match object {
        "Account" => &[
            "Id",
            "Name",
            "OwnerId",
            "Type",
            "AnnualRevenue",
            "Industry",
            "BillingCountry",
        ],
        "Contact" => &["Id", "AccountId", "Name", "Title", "Email"],
        "Opportunity" => &[
            "Id",
            "AccountId",
            "Name",
            "StageName",
            "Amount",
            "CloseDate",
            "OwnerId",
        ],
        "Case" => &[
            "Id",
            "AccountId",
            "Subject",
            "Priority",
            "Status",
            "IsEscalated",
            "CreatedDate",
        ],
        "Event" => &[
            "Id",
            "AccountId",
            "Subject",
            "StartDateTime",
            "EndDateTime",
            "WhoId",
        ],
        _ => &[
            "Id",
            "AccountId",
            "Subject",
            "TaskSubtype",
            "CallType",
            "ActivityDate",
            "CreatedDate",
            "WhoId",
        ],
    };
    let mut out: Vec<String> = list.iter().map(|f| f.to_string()).collect();
    if object == "Contact" {
        out.extend(role_field.map(str::to_string));
    }
    out.push("SystemModstamp".into());
    out
}

/// Salesforce datetimes look like `2026-03-01T10:00:00.000+0000`.
pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn datetime(record: &Value, field: &str) -> Option<Value> {
    record[field]
        .as_str()
        .and_then(parse_datetime)
        .map(|t| json!(t.to_rfc3339()))
}

fn text(record: &Value, field: &str) -> Option<Value> {
    record[field].as_str().map(|s| json!(s))
}

fn stage(name: &str) -> &'static str {
    match name {
        "Prospecting" => "prospecting",
        "Qualification" | "Needs Analysis" | "Id. Decision Makers" | "Perception Analysis" => {
            "discovery"
        }
        "Value Proposition" | "Proposal/Price Quote" => "proposal",
        "Negotiation/Review" => "negotiation",
        "Closed Won" => "closed_won",
        "Closed Lost" => "closed_lost",
        _ => "discovery",
    }
}

fn severity(priority: &str) -> u8 {
    match priority {
        "Critical" | "P1" => 1,
        "High" | "P2" => 2,
        "Medium" | "P3" => 3,
        _ => 4,
    }
}

fn ticket_status(status: &str) -> &'static str {
    match status {
        "Closed" => "closed",
        "Solved" | "Resolved" => "solved",
        "Waiting on Customer" | "On Hold" | "Pending" => "pending",
        _ => "open",
    }
}

/// One Salesforce record as a canonical record, or `None` when the object carries nothing
/// revloop tracks (a Task that is neither an email nor a call).
pub fn to_canonical(
    object: &str,
    r: &Value,
    now: DateTime<Utc>,
    role_field: Option<&str>,
) -> Option<Value> {
    let mut out = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put("id", text(r, "Id"));
    put("updated_at", datetime(r, "SystemModstamp"));
    match object {
        "Account" => {
            put("type", Some(json!("account")));
            // The account's own id is its account id.
            put("name", text(r, "Name"));
            put("owner", text(r, "OwnerId"));
            put("segment", text(r, "Type"));
            put(
                "arr",
                r["AnnualRevenue"].as_f64().map(|v| json!(v.round() as i64)),
            );
            put("industry", text(r, "Industry"));
            put("territory", text(r, "BillingCountry"));
        }
        "Contact" => {
            put("type", Some(json!("contact")));
            put("account_id", text(r, "AccountId"));
            put("name", text(r, "Name"));
            put("title", text(r, "Title"));
            put("email", text(r, "Email"));
            let role = role_field
                .and_then(|f| r[f].as_str())
                .map(|s| s.to_lowercase().replace(' ', "_"))
                .unwrap_or_else(|| "other".into());
            put("role", Some(json!(role)));
        }
        "Opportunity" => {
            put("type", Some(json!("opportunity")));
            put("account_id", text(r, "AccountId"));
            put("name", text(r, "Name"));
            put("stage", r["StageName"].as_str().map(|s| json!(stage(s))));
            put(
                "amount",
                r["Amount"].as_f64().map(|v| json!(v.round() as i64)),
            );
            put("close_date", text(r, "CloseDate"));
            put("owner", text(r, "OwnerId"));
        }
        "Case" => {
            put("type", Some(json!("ticket")));
            put("account_id", text(r, "AccountId"));
            put("subject", text(r, "Subject"));
            put(
                "severity",
                Some(json!(severity(r["Priority"].as_str().unwrap_or("")))),
            );
            put(
                "status",
                r["Status"].as_str().map(|s| json!(ticket_status(s))),
            );
            put("opened_at", datetime(r, "CreatedDate"));
            put(
                "escalated",
                Some(json!(
                    r["IsEscalated"].as_bool().unwrap_or(false) || r["Status"] == "Escalated"
                )),
            );
        }
        "Event" => {
            put("type", Some(json!("meeting")));
            put("account_id", text(r, "AccountId"));
            put("title", text(r, "Subject"));
            let starts = r["StartDateTime"].as_str().and_then(parse_datetime);
            put("starts_at", starts.map(|t| json!(t.to_rfc3339())));
            put("ends_at", datetime(r, "EndDateTime"));
            // Salesforce has no meeting outcome: a past event counts as held.
            put(
                "status",
                starts.map(|t| json!(if t > now { "scheduled" } else { "held" })),
            );
            put(
                "attendee_ids",
                Some(json!(r["WhoId"].as_str().into_iter().collect::<Vec<_>>())),
            );
        }
        _ => {
            let kind = match r["TaskSubtype"].as_str() {
                Some("Email") => "email",
                Some("Call") => "call",
                _ => return None,
            };
            put("type", Some(json!("activity")));
            put("account_id", text(r, "AccountId"));
            put("kind", Some(json!(kind)));
            put("at", datetime(r, "CreatedDate"));
            put("contact_id", text(r, "WhoId"));
            put(
                "direction",
                Some(json!(if r["CallType"] == "Inbound" {
                    "inbound"
                } else {
                    "outbound"
                })),
            );
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use revloop_domain::records::{Record, parse_line};

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    fn parse(object: &str, record: Value) -> Record {
        let line = to_canonical(object, &record, now(), Some("Revloop_Role__c"))
            .unwrap()
            .to_string();
        parse_line(1, &line).unwrap_or_else(|e| panic!("{object}: {e}"))
    }

    #[test]
    fn each_object_maps_to_a_valid_canonical_record() {
        let ts = "2026-03-01T10:00:00.000+0000";
        let account = parse(
            "Account",
            json!({"Id": "001A", "Name": "Acme", "AnnualRevenue": 250000.0, "SystemModstamp": ts}),
        );
        assert_eq!(account.record_type(), "account");
        let contact = parse(
            "Contact",
            json!({"Id": "003A", "AccountId": "001A", "Name": "Maria Lopez", "Email": "m@acme.example", "Revloop_Role__c": "Economic Buyer", "SystemModstamp": ts}),
        );
        assert!(
            matches!(contact, Record::Contact(ref c) if c.role == revloop_domain::records::ContactRole::EconomicBuyer)
        );
        let opp = parse(
            "Opportunity",
            json!({"Id": "006A", "AccountId": "001A", "Name": "Renewal", "StageName": "Negotiation/Review", "Amount": 5e4, "CloseDate": "2026-04-01", "SystemModstamp": ts}),
        );
        assert!(
            matches!(opp, Record::Opportunity(ref o) if o.stage == revloop_domain::records::OpportunityStage::Negotiation)
        );
        let case = parse(
            "Case",
            json!({"Id": "500A", "AccountId": "001A", "Subject": "SSO down", "Priority": "High", "Status": "Escalated", "IsEscalated": false, "CreatedDate": ts, "SystemModstamp": ts}),
        );
        assert!(matches!(case, Record::Ticket(ref t) if t.severity == 2 && t.escalated));
        let event = parse(
            "Event",
            json!({"Id": "00UA", "AccountId": "001A", "Subject": "QBR", "StartDateTime": "2026-03-11T09:00:00.000+0000", "WhoId": "003A", "SystemModstamp": ts}),
        );
        assert!(
            matches!(event, Record::Meeting(ref m) if m.status == revloop_domain::records::MeetingStatus::Scheduled)
        );
        let task = parse(
            "Task",
            json!({"Id": "00TA", "AccountId": "001A", "TaskSubtype": "Call", "CallType": "Inbound", "CreatedDate": ts, "WhoId": "003A", "SystemModstamp": ts}),
        );
        assert!(
            matches!(task, Record::Activity(ref a) if a.direction == revloop_domain::records::Direction::Inbound)
        );
    }

    #[test]
    fn unmappable_records_are_kept_for_quarantine_or_skipped_when_untracked() {
        let orphan = to_canonical("Contact", &json!({"Id": "003B", "Name": "No Account", "SystemModstamp": "2026-03-01T10:00:00.000+0000"}), now(), None).unwrap();
        let err = parse_line(1, &orphan.to_string()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("account_id"));
        assert!(
            to_canonical(
                "Task",
                &json!({"Id": "00TB", "TaskSubtype": "Task"}),
                now(),
                None
            )
            .is_none()
        );
    }
}
