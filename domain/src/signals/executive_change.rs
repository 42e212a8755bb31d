//! EXECUTIVE_CHANGE: a contact titled C-level, President, EVP, SVP or VP is added, deactivated or
//! changes title; or new news of kind executive_change.

use serde_json::json;

use super::signal::SignalParts;
use super::stakeholder_changed::{ContactChange, contact_changes};
use super::text::contains_word;
use super::{DetectionContext, Severity, Signal, SignalDetector, SignalType};
use crate::records::{NewsKind, Record};
use crate::world::record_ref;

pub struct ExecutiveChangeDetector;

/// C-level (CEO, CFO, CISO, "Chief … Officer"), President, EVP, SVP, VP.
pub fn is_executive_title(title: &str) -> bool {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect();
    let c_level = |w: &str| w.len() >= 3 && w.len() <= 4 && w.starts_with('C') && w.ends_with('O');
    words
        .iter()
        .any(|w| c_level(w) || matches!(w.as_str(), "EVP" | "SVP" | "VP" | "PRESIDENT" | "CHIEF"))
        || contains_word(title, "vice president")
}

impl SignalDetector for ExecutiveChangeDetector {
    fn signal_type(&self) -> SignalType {
        SignalType::ExecutiveChange
    }

    fn detect(&self, ctx: &DetectionContext<'_>) -> Vec<Signal> {
        let mut out = Vec::new();
        let exec = |t: &Option<String>| t.as_deref().is_some_and(is_executive_title);
        for contact in &ctx.current.contacts {
            let record = Record::Contact(contact.clone());
            for change in contact_changes(ctx, contact) {
                let (what, before) = match change {
                    ContactChange::Added if exec(&contact.title) => ("added", None),
                    ContactChange::Deactivated(b) if exec(&contact.title) || exec(&b.title) => {
                        ("deactivated", Some(b))
                    }
                    ContactChange::TitleChanged(b) if exec(&contact.title) || exec(&b.title) => {
                        ("title_changed", Some(b))
                    }
                    _ => continue,
                };
                let mut evidence_refs = vec![ctx.current_ref(&record)];
                if let Some(b) = before {
                    evidence_refs.insert(0, record_ref(&Record::Contact(b.clone())));
                }
                out.push(Signal::new(
                    ctx.tenant_id,
                    ctx.now,
                    SignalParts {
                        signal_type: SignalType::ExecutiveChange,
                        account_id: contact.account_id.clone(),
                        severity: Severity::High,
                        confidence: 0.85,
                        evidence_refs,
                        expires_at: ctx.now + chrono::Duration::days(30),
                        dedup_key: format!(
                            "contact:{}:{what}@{}",
                            contact.id,
                            contact.updated_at.to_rfc3339()
                        ),
                        details: json!({
                            "contact_id": contact.id,
                            "name": contact.name,
                            "change": what,
                            "title": contact.title,
                            "previous_title": before.and_then(|b| b.title.clone()),
                        }),
                    },
                ));
            }
        }
        for news in ctx
            .current
            .news
            .iter()
            .filter(|n| n.kind == NewsKind::ExecutiveChange)
        {
            let record = Record::News(news.clone());
            if !ctx.is_new(&record) {
                continue;
            }
            out.push(Signal::new(
                ctx.tenant_id,
                ctx.now,
                SignalParts {
                    signal_type: SignalType::ExecutiveChange,
                    account_id: news.account_id.clone(),
                    severity: Severity::High,
                    confidence: 0.7,
                    evidence_refs: vec![ctx.current_ref(&record)],
                    expires_at: ctx.now + chrono::Duration::days(30),
                    dedup_key: format!("news:{}", news.id),
                    details: json!({ "news_id": news.id, "headline": news.headline, "url": news.url }),
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::test_support::*;

    fn contact(title: &str, active: bool) -> Record {
        record(&format!(
            r#"{{"type":"contact","id":"p1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","name":"Tom Becker","title":"{title}","role":"other","active":{active}}}"#
        ))
    }

    #[test]
    fn recognises_executive_titles() {
        for t in [
            "CFO",
            "Chief Revenue Officer",
            "SVP Sales",
            "VP, Engineering",
            "Vice President of Ops",
            "President",
            "CISO",
        ] {
            assert!(is_executive_title(t), "{t}");
        }
        for t in [
            "Director",
            "Analyst",
            "Senior Manager",
            "Coordinator",
            "Vice Principal",
        ] {
            assert!(!is_executive_title(t), "{t}");
        }
    }

    #[test]
    fn executive_contacts_added_gone_or_retitled_fire() {
        assert_eq!(
            run(&ExecutiveChangeDetector, vec![contact("CFO", true)], &[]).len(),
            1
        );
        assert_eq!(
            run(
                &ExecutiveChangeDetector,
                vec![contact("CFO", false)],
                &[contact("CFO", true)]
            )
            .len(),
            1
        );
        assert_eq!(
            run(
                &ExecutiveChangeDetector,
                vec![contact("Director", true)],
                &[contact("VP Sales", true)]
            )
            .len(),
            1
        );
        assert!(
            run(
                &ExecutiveChangeDetector,
                vec![contact("Director", true)],
                &[]
            )
            .is_empty()
        );
        assert!(
            run(
                &ExecutiveChangeDetector,
                vec![contact("CFO", true)],
                &[contact("CFO", true)]
            )
            .is_empty()
        );
    }

    #[test]
    fn new_executive_change_news_fires_once() {
        let news = record(
            r#"{"type":"news","id":"n1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","kind":"executive_change","published_at":"2026-03-09T00:00:00Z","headline":"Acme names new CEO"}"#,
        );
        assert_eq!(
            run(&ExecutiveChangeDetector, vec![news.clone()], &[]).len(),
            1
        );
        assert!(run(&ExecutiveChangeDetector, vec![news.clone()], &[news]).is_empty());
    }
}
