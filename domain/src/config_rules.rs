//! What a tenant config must make sense of before it is stored: thresholds in their ranges,
//! soft limits under hard ones, verdicts a control can have, and action kinds that exist. A
//! config that turns a control off by mistake (a typo in `denied_actions` blocks nothing) is
//! refused with the key and the rule, and nothing changes.

use std::collections::BTreeMap;

use crate::budget::BudgetCap;
use crate::decision::ActionKind;
use crate::signals::SignalConfig;
use crate::validators::{GovernancePolicy, SourceTtl, Verdict};
use crate::world::state::StateConfig;

/// The largest tenant config accepted, in bytes of TOML.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

/// Checks every part; the first broken rule is the error, as `key: rule`.
pub fn check(
    signals: &SignalConfig,
    governance: &GovernancePolicy,
    budgets: &[BudgetCap],
    world: &StateConfig,
) -> Result<(), String> {
    check_signals(signals)?;
    check_governance(governance)?;
    for (i, cap) in budgets.iter().enumerate() {
        if let (Some(soft), Some(hard)) = (cap.soft, cap.hard)
            && soft > hard
        {
            return Err(format!(
                "budgets[{i}]: soft ({soft}) must not be above hard ({hard})"
            ));
        }
    }
    check_ttls("world", &world.default_ttl, &world.ttls)?;
    Ok(())
}

fn check_signals(s: &SignalConfig) -> Result<(), String> {
    let days = [
        ("renewal_window_days", s.renewal_window_days, 1, 730),
        ("sev2_aging_days", s.sev2_aging_days, 1, 365),
        ("no_meeting_days", s.no_meeting_days, 1, 365),
        (
            "meeting_upcoming_hours",
            s.meeting_upcoming_hours,
            1,
            24 * 30,
        ),
    ];
    for (key, value, min, max) in days {
        if !(min..=max).contains(&value) {
            return Err(format!("signals.{key}: {value} is outside {min}..={max}"));
        }
    }
    let percents = [
        ("usage_drop_pct", s.usage_drop_pct, 0.0, 100.0),
        ("champion_drop_pct", s.champion_drop_pct, 0.0, 100.0),
        ("usage_spike_pct", s.usage_spike_pct, 100.0, 10_000.0),
    ];
    for (key, value, min, max) in percents {
        if !(value > min && value <= max) {
            return Err(format!(
                "signals.{key}: {value} must be above {min} and at most {max}"
            ));
        }
    }
    Ok(())
}

fn check_governance(g: &GovernancePolicy) -> Result<(), String> {
    for (key, verdict) in [
        ("ungrounded_verdict", g.ungrounded_verdict),
        ("contradiction_verdict", g.contradiction_verdict),
    ] {
        if verdict == Verdict::Allow {
            return Err(format!(
                "governance.{key}: ALLOW would turn the check off; use BLOCK or WARN"
            ));
        }
    }
    check_ttls("governance", &g.default_ttl, &g.ttls)?;
    let compliance = &g.compliance;
    let known = |kind: &str| kind == "read" || ActionKind::parse(kind).is_some();
    let kinds = ActionKind::ALL.map(ActionKind::as_str).join(", ");
    for (key, list) in [
        ("denied_actions", Some(&compliance.denied_actions)),
        ("allowed_actions", compliance.allowed_actions.as_ref()),
    ] {
        if let Some(unknown) = list.into_iter().flatten().find(|k| !known(k)) {
            return Err(format!(
                "governance.compliance.{key}: unknown action kind {unknown:?}; known: read, {kinds}"
            ));
        }
    }
    if let Some(allowed) = &compliance.allowed_actions
        && let Some(both) = compliance
            .denied_actions
            .iter()
            .find(|d| allowed.contains(d))
    {
        return Err(format!(
            "governance.compliance: {both:?} is both allowed and denied"
        ));
    }
    Ok(())
}

fn check_ttls(
    section: &str,
    default: &SourceTtl,
    per_source: &BTreeMap<String, SourceTtl>,
) -> Result<(), String> {
    let all = std::iter::once(("default_ttl".to_string(), default))
        .chain(per_source.iter().map(|(k, v)| (format!("ttls.{k}"), v)));
    for (key, ttl) in all {
        // Zero is allowed: "stale at once" is a real choice (and how tests make data stale).
        if ttl.soft_secs < 0 || ttl.hard_secs < 0 {
            return Err(format!("{section}.{key}: TTLs must not be negative"));
        }
        if ttl.soft_secs > ttl.hard_secs {
            return Err(format!(
                "{section}.{key}: soft_secs ({}) must not be above hard_secs ({})",
                ttl.soft_secs, ttl.hard_secs
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok() -> (SignalConfig, GovernancePolicy, Vec<BudgetCap>, StateConfig) {
        (
            SignalConfig::default(),
            GovernancePolicy::default(),
            Vec::new(),
            StateConfig::default(),
        )
    }

    fn refused(
        edit: impl FnOnce(&mut SignalConfig, &mut GovernancePolicy, &mut StateConfig),
    ) -> String {
        let (mut s, mut g, b, mut w) = ok();
        edit(&mut s, &mut g, &mut w);
        check(&s, &g, &b, &w).unwrap_err()
    }

    #[test]
    fn the_defaults_pass() {
        let (s, g, b, w) = ok();
        assert_eq!(check(&s, &g, &b, &w), Ok(()));
    }

    #[test]
    fn the_probes_settings_are_refused_by_key() {
        assert!(refused(|s, _, _| s.usage_drop_pct = -50.0).starts_with("signals.usage_drop_pct"));
        assert!(
            refused(|s, _, _| s.champion_drop_pct = 500.0).starts_with("signals.champion_drop_pct")
        );
        assert!(
            refused(|s, _, _| s.renewal_window_days = 0).starts_with("signals.renewal_window_days")
        );
        assert!(
            refused(|_, g, _| g.ungrounded_verdict = Verdict::Allow)
                .contains("ALLOW would turn the check off")
        );
        let typo = refused(|_, g, _| g.compliance.denied_actions = vec!["send_folow_up".into()]);
        assert!(
            typo.contains("unknown action kind \"send_folow_up\""),
            "{typo}"
        );
        let both = refused(|_, g, _| {
            g.compliance.denied_actions = vec!["create_task".into()];
            g.compliance.allowed_actions = Some(vec!["create_task".into()]);
        });
        assert!(both.contains("both allowed and denied"), "{both}");
        let ttl = refused(|_, g, _| {
            g.default_ttl = SourceTtl {
                soft_secs: 10,
                hard_secs: 5,
            }
        });
        assert!(
            ttl.starts_with("governance.default_ttl: soft_secs (10)"),
            "{ttl}"
        );
        let world = refused(|_, _, w| {
            w.ttls.insert(
                "crm".into(),
                SourceTtl {
                    soft_secs: 9,
                    hard_secs: 1,
                },
            );
        });
        assert!(world.starts_with("world.ttls.crm"), "{world}");
    }

    #[test]
    fn a_soft_budget_above_the_hard_one_is_refused() {
        let (s, g, _, w) = ok();
        let cap: BudgetCap = serde_json::from_value(serde_json::json!({
            "scope": "tenant", "period": "day", "cost_class": "EXPENSIVE", "soft": 600, "hard": 500
        }))
        .unwrap();
        let err = check(&s, &g, &[cap], &w).unwrap_err();
        assert_eq!(err, "budgets[0]: soft (600) must not be above hard (500)");
    }
}
