//! FUNDING_ANNOUNCEMENT and PARTNERSHIP_ANNOUNCEMENT: new news of that kind.

use serde_json::json;

use super::signal::SignalParts;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{NewsKind, Record};

fn new_news(ctx: &DetectionContext<'_>, kind: NewsKind, signal_type: SignalType) -> Vec<Signal> {
    ctx.current
        .news
        .iter()
        .filter(|n| n.kind == kind)
        .filter(|n| ctx.is_new(&Record::News((*n).clone())))
        .map(|news| {
            Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type,
                    account_id: news.account_id.clone(),
                    severity: Severity::Medium,
                    confidence: 0.75,
                    evidence_refs: vec![ctx.current_ref(news)],
                    expires_at: ctx.now + chrono::Duration::days(30),
                    dedup_key: format!("news:{}", news.id),
                    details: json!({
                        "news_id": news.id,
                        "headline": news.headline,
                        "published_at": news.published_at,
                        "url": news.url,
                    }),
                },
            )
        })
        .collect()
}

pub struct FundingAnnouncementDetector;

impl SignalDetector for FundingAnnouncementDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::FundingAnnouncement
    }
    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        new_news(ctx, NewsKind::Funding, SignalType::FundingAnnouncement)
    }
}

pub struct PartnershipAnnouncementDetector;

impl SignalDetector for PartnershipAnnouncementDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::PartnershipAnnouncement
    }
    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        new_news(
            ctx,
            NewsKind::Partnership,
            SignalType::PartnershipAnnouncement,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;

    fn news(kind: &str) -> Record {
        record(&format!(
            r#"{{"type":"news","id":"n1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","kind":"{kind}","published_at":"2026-03-09T00:00:00Z","headline":"Acme news"}}"#
        ))
    }

    #[test]
    fn new_news_of_the_kind_fires_and_known_news_does_not() {
        assert_eq!(
            run(&FundingAnnouncementDetector, vec![news("funding")], &[]).len(),
            1
        );
        assert!(
            run(
                &FundingAnnouncementDetector,
                vec![news("funding")],
                &[news("funding")]
            )
            .is_empty()
        );
        assert!(run(&FundingAnnouncementDetector, vec![news("partnership")], &[]).is_empty());
        assert_eq!(
            run(
                &PartnershipAnnouncementDetector,
                vec![news("partnership")],
                &[]
            )
            .len(),
            1
        );
        assert!(
            run(
                &PartnershipAnnouncementDetector,
                vec![news("acquisition")],
                &[]
            )
            .is_empty()
        );
    }
}
