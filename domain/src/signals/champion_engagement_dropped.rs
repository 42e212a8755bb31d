//! CHAMPION_ENGAGEMENT_DROPPED: a champion's activities and held meetings in the last 14 days fell
//! by at least the threshold (50 %) against the 28 days before, counted per 14 days; or the
//! champion was deactivated.
//!
//! Windows: recent is (now − 14 d, now], baseline is (now − 42 d, now − 14 d].

use chrono::{Datelike, Duration};
use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{ContactRole, MeetingStatus, Record};
use crate::world::record_ref;

pub struct ChampionEngagementDroppedDetector;

impl SignalDetector for ChampionEngagementDroppedDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::ChampionEngagementDropped
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        let recent_start = ctx.now - Duration::days(14);
        let baseline_start = recent_start - Duration::days(28);
        let week = ctx.now.date_naive().iso_week();
        for champion in ctx
            .current
            .contacts
            .iter()
            .filter(|c| c.role == ContactRole::Champion)
        {
            let record = Record::Contact(champion.clone());
            if let Some(previous @ Record::Contact(before)) = ctx.previous_of(&record)
                && before.active
                && !champion.active
            {
                out.push(signal(ctx, champion, vec![record_ref(previous), ctx.current_ref(&record)], "deactivated".into(), json!({ "contact_id": champion.id, "name": champion.name, "change": "deactivated" })));
                continue;
            }
            if !champion.active {
                continue;
            }
            // Touches: activities with the champion and held meetings they attended.
            let mut touches: Vec<(chrono::DateTime<chrono::Utc>, Record)> = ctx
                .current
                .activities
                .iter()
                .filter(|a| a.contact_id.as_deref() == Some(champion.id.as_str()))
                .map(|a| (a.at, Record::Activity(a.clone())))
                .collect();
            touches.extend(
                ctx.current
                    .meetings
                    .iter()
                    .filter(|m| {
                        m.status == MeetingStatus::Held && m.attendee_ids.contains(&champion.id)
                    })
                    .map(|m| (m.starts_at, Record::Meeting(m.clone()))),
            );
            let in_window = |from, to| {
                touches
                    .iter()
                    .filter(move |(at, _)| *at > from && *at <= to)
            };
            let recent = in_window(recent_start, ctx.now).count() as f64;
            let baseline = in_window(baseline_start, recent_start).count() as f64;
            let baseline_per_14 = baseline / 2.0;
            if baseline_per_14 <= 0.0 {
                continue;
            }
            let drop_pct = (baseline_per_14 - recent) / baseline_per_14 * 100.0;
            if drop_pct < ctx.config.champion_drop_pct {
                continue;
            }
            let mut evidence_refs = vec![ctx.current_ref(&record)];
            evidence_refs
                .extend(in_window(baseline_start, ctx.now).map(|(_, r)| ctx.current_ref(r)));
            out.push(signal(
                ctx,
                champion,
                evidence_refs,
                format!("drop:{}-W{:02}", week.year(), week.week()),
                json!({
                    "contact_id": champion.id,
                    "name": champion.name,
                    "drop_pct": (drop_pct * 10.0).round() / 10.0,
                    "recent_touches": recent,
                    "baseline_touches_per_14_days": baseline_per_14,
                }),
            ));
        }
        out
    }
}

fn signal(
    ctx: &DetectionContext<'_>,
    champion: &crate::records::Contact,
    evidence_refs: Vec<String>,
    what: String,
    details: serde_json::Value,
) -> Signal {
    Signal::new(
        ctx.tenant_id,
        ctx.now,
        SignalParts {
            signal_type: SignalType::ChampionEngagementDropped,
            account_id: champion.account_id.clone(),
            severity: Severity::High,
            confidence: 0.75,
            evidence_refs,
            expires_at: ctx.now + Duration::days(14),
            dedup_key: format!("champion:{}:{what}", champion.id),
            details,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;

    fn champion(active: bool) -> Record {
        record(&format!(
            r#"{{"type":"contact","id":"p1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Maria Lopez","role":"champion","active":{active}}}"#
        ))
    }

    fn call(n: usize, ago: Duration) -> Record {
        record(&format!(
            r#"{{"type":"activity","id":"a{n}","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","kind":"call","at":"{}","contact_id":"p1","direction":"outbound"}}"#,
            (now() - ago).to_rfc3339()
        ))
    }

    /// 8 baseline touches (4 per 14 days) and `recent` touches in the last 14 days.
    fn history(recent: usize) -> Vec<Record> {
        let mut records = vec![champion(true)];
        for i in 0..8 {
            records.push(call(i, Duration::days(15 + i as i64 * 3)));
        }
        for i in 0..recent {
            records.push(call(100 + i, Duration::days(1 + i as i64)));
        }
        records
    }

    #[test]
    fn a_drop_of_exactly_half_fires_a_quarter_does_not() {
        let found = run(&ChampionEngagementDroppedDetector, history(2), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].details["drop_pct"], 50.0);
        assert!(run(&ChampionEngagementDroppedDetector, history(3), &[]).is_empty());
    }

    #[test]
    fn a_touch_exactly_14_days_ago_belongs_to_the_baseline() {
        let mut records = vec![champion(true), call(1, Duration::days(14))];
        assert_eq!(
            run(&ChampionEngagementDroppedDetector, records.clone(), &[]).len(),
            1,
            "0 recent vs 0.5 per 14 days"
        );
        records.push(call(2, Duration::days(14) - Duration::seconds(1)));
        assert!(run(&ChampionEngagementDroppedDetector, records, &[]).is_empty());
    }

    #[test]
    fn a_deactivated_champion_fires() {
        let found = run(
            &ChampionEngagementDroppedDetector,
            vec![champion(false)],
            &[champion(true)],
        );
        assert_eq!(found[0].details["change"], "deactivated");
        assert!(
            run(
                &ChampionEngagementDroppedDetector,
                vec![champion(true)],
                &[]
            )
            .is_empty(),
            "no history, no drop"
        );
    }
}
