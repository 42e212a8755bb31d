//! The meeting brief: what a seller needs to know before meeting an account, computed only from
//! the account's facts (its world state) and signals, so the same inputs always give the same
//! brief.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::records::{MeetingStatus, TicketStatus};
use crate::signals::{Signal, SignalType, usage_windows_for_brief};
use crate::world::{AccountFacts, Posture};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpcomingMeeting {
    pub meeting_id: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Risk {
    pub title: String,
    pub why: String,
    pub evidence_refs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenIssue {
    pub ticket_id: String,
    pub subject: String,
    pub severity: u8,
    pub age_days: i64,
    pub evidence_ref: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageTrend {
    pub metric: String,
    pub recent_mean: Option<f64>,
    pub baseline_mean: Option<f64>,
    pub change_pct: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalFacts {
    pub contract_id: String,
    pub end_date: NaiveDate,
    pub days_remaining: i64,
    pub arr: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingBrief {
    pub account_id: String,
    pub account_name: String,
    pub generated_at: DateTime<Utc>,
    pub meeting: Option<UpcomingMeeting>,
    pub posture: Posture,
    pub risks: Vec<Risk>,
    pub open_issues: Vec<OpenIssue>,
    pub usage_trend: Vec<UsageTrend>,
    pub renewal: Option<RenewalFacts>,
    pub suggested_agenda: Vec<String>,
    pub signal_ids: Vec<String>,
}

impl MeetingBrief {
    /// The brief from what the world knows of the account (its facts as of the decision) and
    /// the signals being decided. Its posture is the account state's, so the brief and
    /// `revloop account` never disagree.
    pub fn compute(facts: &AccountFacts, signals: &[Signal], now: DateTime<Utc>) -> Self {
        let today = now.date_naive();
        let meeting = facts
            .meetings()
            .iter()
            .filter(|m| m.status == MeetingStatus::Scheduled && m.starts_at > now)
            .min_by_key(|m| (m.starts_at, m.id.clone()))
            .map(|m| UpcomingMeeting {
                meeting_id: m.id.clone(),
                title: m.title.clone(),
                starts_at: m.starts_at,
            });
        let open_issues: Vec<OpenIssue> = facts
            .tickets()
            .iter()
            .filter(|t| matches!(t.status, TicketStatus::Open | TicketStatus::Pending))
            .map(|t| OpenIssue {
                ticket_id: t.id.clone(),
                subject: t.subject.clone(),
                severity: t.severity,
                age_days: (now - t.opened_at).num_days(),
                evidence_ref: t.evidence_ref.clone(),
            })
            .collect();
        let usage_trend = usage_windows_for_brief(&facts.usage, today)
            .into_iter()
            .map(|(metric, w)| UsageTrend {
                metric: metric.to_string(),
                recent_mean: w.recent_mean(),
                baseline_mean: w.baseline_mean(),
                change_pct: w.change_pct().map(|c| (c * 10.0).round() / 10.0),
            })
            .collect();
        let renewal = facts
            .contracts()
            .iter()
            .filter(|c| c.end_date >= today)
            .min_by_key(|c| (c.end_date, c.id.clone()))
            .map(|c| RenewalFacts {
                contract_id: c.id.clone(),
                end_date: c.end_date,
                days_remaining: (c.end_date - today).num_days(),
                arr: c.arr,
            });
        let risks: Vec<Risk> = signals.iter().filter_map(risk_of).collect();
        let mut suggested_agenda =
            vec!["Confirm goals and success criteria for this quarter".to_string()];
        for risk in &risks {
            suggested_agenda.push(format!("Address: {}", risk.title));
        }
        if let Some(r) = &renewal {
            suggested_agenda.push(format!("Agree the renewal path before {}", r.end_date));
        }
        suggested_agenda.push("Agree next steps and owners".to_string());
        MeetingBrief {
            account_id: facts.account_id.clone(),
            account_name: facts.account_name(),
            generated_at: now,
            meeting,
            posture: facts.state.posture,
            risks,
            open_issues,
            usage_trend,
            renewal,
            suggested_agenda,
            signal_ids: signals.iter().map(|s| s.signal_id.clone()).collect(),
        }
    }

    /// Markdown for people: the brief a seller reads before the call.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# Meeting brief: {}\n\n", self.account_name);
        if let Some(m) = &self.meeting {
            out += &format!(
                "**Meeting:** {} at {}\n\n",
                m.title,
                m.starts_at.to_rfc3339()
            );
        }
        out += &format!("**Posture:** {:?}\n\n## Risks\n", self.posture);
        for r in &self.risks {
            out += &format!(
                "- **{}**: {} (evidence: {})\n",
                r.title,
                r.why,
                r.evidence_refs.len()
            );
        }
        out += "\n## Open issues\n";
        for i in &self.open_issues {
            out += &format!(
                "- {} (sev {}, {} days): {}\n",
                i.ticket_id, i.severity, i.age_days, i.subject
            );
        }
        out += "\n## Usage trend\n";
        for u in &self.usage_trend {
            let change = u
                .change_pct
                .map(|c| format!("{c:+.1}%"))
                .unwrap_or_else(|| "n/a".into());
            out += &format!("- {}: {}\n", u.metric, change);
        }
        if let Some(r) = &self.renewal {
            out += &format!(
                "\n## Renewal\n{} ends {} ({} days)\n",
                r.contract_id, r.end_date, r.days_remaining
            );
        }
        out += "\n## Suggested agenda\n";
        for (i, item) in self.suggested_agenda.iter().enumerate() {
            out += &format!("{}. {item}\n", i + 1);
        }
        out
    }
}

fn risk_of(signal: &Signal) -> Option<Risk> {
    let d = &signal.details;
    let (title, why) = match signal.signal_type {
        SignalType::SupportSev2Aging => (
            format!("Severity {} ticket aging", d["severity"]),
            format!(
                "\"{}\" has been open {} days",
                d["subject"].as_str().unwrap_or(""),
                d["age_days"]
            ),
        ),
        SignalType::UsageDropPercent => (
            format!(
                "{} usage down {}%",
                d["metric"].as_str().unwrap_or("usage"),
                d["drop_pct"]
            ),
            format!(
                "7-day mean {} vs 28-day baseline {}",
                d["recent_mean"], d["baseline_mean"]
            ),
        ),
        SignalType::RenewalWindowEntered => (
            "Renewal approaching".to_string(),
            format!(
                "contract ends {} ({} days)",
                d["end_date"].as_str().unwrap_or(""),
                d["days_remaining"]
            ),
        ),
        _ => return None,
    };
    Some(Risk {
        title,
        why,
        evidence_refs: signal.evidence_refs.clone(),
    })
}
