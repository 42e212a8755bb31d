//! The synthetic tenant generator behind `revloop seed`: realistic JSONL for every record type,
//! with known situations planted and listed in `expected_signals.jsonl`.
//!
//! Background data stays clear of every detector threshold (weekly-seasonal usage, regular
//! touches and meetings, renewals far off), so what the detectors find beyond the planted
//! situations is only what a first load of real data would also raise (key people "added").
//! Deterministic: the same options give byte-identical files.

mod account;
mod planted;

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

pub use planted::Situation;

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub accounts: usize,
    /// Days of history (usage, touches, meetings); at least 42 so every window is covered.
    pub days: u32,
    pub seed: u64,
    pub now: DateTime<Utc>,
}

/// A signal the generator planted, as `revloop signals detect` must report it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ExpectedSignal {
    pub signal_type: String,
    pub account_id: String,
    pub dedup_key: String,
}

/// An action the playbooks must propose for a planted situation (`revloop eval` checks).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct ExpectedAction {
    pub account_id: String,
    pub signal_type: String,
    pub playbook: String,
    pub kind: String,
}

#[derive(Debug, Default)]
pub struct Generated {
    /// Latest versions of every record.
    pub records: Vec<String>,
    /// Earlier versions of the records whose change is a planted situation.
    pub previous: Vec<String>,
    pub expected: Vec<ExpectedSignal>,
    pub expected_actions: Vec<ExpectedAction>,
}

/// The generated tenant's config: the competitors the notes mention.
pub fn tenant_toml() -> String {
    let competitors: Vec<String> = COMPETITORS.iter().map(|c| format!("{c:?}")).collect();
    format!("[signals]\ncompetitors = [{}]\n", competitors.join(", "))
}

/// Competitor names planted in notes, and written to the generated tenant config.
pub const COMPETITORS: [&str; 3] = ["Rivalsoft", "Northwind Analytics", "Globodata"];

/// Generates the tenant; `progress` is called once per account.
pub fn generate(opts: &SeedOptions, mut progress: impl FnMut()) -> anyhow::Result<Generated> {
    anyhow::ensure!(opts.accounts > 0, "--accounts must be at least 1");
    anyhow::ensure!(
        opts.days >= 42,
        "--days must be at least 42 (the longest detector window)"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let mut out = Generated::default();
    for index in 0..opts.accounts {
        let situations = planted::choose(index, &mut rng);
        account::generate(index, opts, &situations, &mut rng, &mut out)?;
        progress();
    }
    out.expected.sort();
    out.expected_actions.sort();
    out.expected_actions.dedup();
    Ok(out)
}

/// Writes `records.jsonl`, `previous.jsonl`, `expected_signals.jsonl`,
/// `expected_actions.jsonl` and `tenant.toml`.
pub fn write(dir: &Path, generated: &Generated) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let lines = |v: &[String]| v.iter().map(|l| format!("{l}\n")).collect::<String>();
    std::fs::write(dir.join("records.jsonl"), lines(&generated.records))?;
    std::fs::write(dir.join("previous.jsonl"), lines(&generated.previous))?;
    let expected: Vec<String> = generated
        .expected
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    std::fs::write(dir.join("expected_signals.jsonl"), lines(&expected))?;
    let actions: Vec<String> = generated
        .expected_actions
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    std::fs::write(dir.join("expected_actions.jsonl"), lines(&actions))?;
    std::fs::write(dir.join("tenant.toml"), tenant_toml())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use revloop_domain::records::parse_jsonl;

    fn opts(seed: u64) -> SeedOptions {
        SeedOptions {
            accounts: 20,
            days: 60,
            seed,
            now: "2026-03-10T12:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn same_options_same_output_and_every_line_parses() {
        let a = generate(&opts(7), || {}).unwrap();
        let b = generate(&opts(7), || {}).unwrap();
        assert_eq!(a.records, b.records);
        assert_eq!(a.expected, b.expected);
        assert_ne!(a.records, generate(&opts(8), || {}).unwrap().records);
        for text in [a.records.join("\n"), a.previous.join("\n")] {
            let parsed = parse_jsonl(&text);
            assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected.first());
        }
    }

    #[test]
    fn every_situation_is_planted_and_every_record_type_appears() {
        let g = generate(&opts(1), || {}).unwrap();
        for situation in Situation::ALL {
            assert!(
                g.expected
                    .iter()
                    .any(|e| e.signal_type == situation.signal_type()),
                "{situation:?}"
            );
        }
        let text = g.records.join("\n");
        for t in [
            "account",
            "contact",
            "opportunity",
            "contract",
            "ticket",
            "usage",
            "meeting",
            "activity",
            "news",
            "note",
        ] {
            assert!(text.contains(&format!("\"type\":\"{t}\"")), "{t}");
        }
    }
}
