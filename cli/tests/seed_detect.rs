//! For three seeds, offline detection finds every planted signal of the generated tenant.

use std::collections::BTreeSet;
use std::process::Command;

use revloop_cli::seed::ExpectedSignal;

const NOW: &str = "2026-03-10T12:00:00Z";

fn revloop(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_revloop"))
        .args(args)
        .output()
        .expect("revloop runs")
}

#[test]
fn detect_finds_every_planted_signal_for_three_seeds() {
    for seed in ["1", "2", "3"] {
        let dir = tempfile::tempdir().unwrap();
        let out_dir = dir.path().display().to_string();
        let seeded = revloop(&[
            "seed",
            "--accounts",
            "30",
            "--days",
            "60",
            "--seed",
            seed,
            "--now",
            NOW,
            "--out",
            &out_dir,
        ]);
        assert_eq!(
            seeded.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&seeded.stderr)
        );
        let path = |name: &str| dir.path().join(name).display().to_string();
        let out = revloop(&[
            "signals",
            "detect",
            "--input",
            &path("records.jsonl"),
            "--previous",
            &path("previous.jsonl"),
            "--config",
            &path("tenant.toml"),
            "--now",
            NOW,
            "--json",
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "seed {seed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found: BTreeSet<ExpectedSignal> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON signal"))
            .collect();
        let expected: Vec<ExpectedSignal> = std::fs::read_to_string(path("expected_signals.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).expect("an expected signal"))
            .collect();
        let types: BTreeSet<&str> = expected.iter().map(|e| e.signal_type.as_str()).collect();
        assert_eq!(
            types.len(),
            15,
            "seed {seed}: all fifteen situations planted"
        );
        let missing: Vec<&ExpectedSignal> =
            expected.iter().filter(|e| !found.contains(e)).collect();
        assert!(
            missing.is_empty(),
            "seed {seed}: not detected: {missing:#?}"
        );
        // Background data stays below every threshold: beyond the planted signals there is only
        // the first-load arrival of each account's key people.
        let unplanted: Vec<&ExpectedSignal> = found
            .iter()
            .filter(|f| !expected.contains(f))
            .filter(|f| {
                !(f.signal_type == "STAKEHOLDER_CHANGED" && f.dedup_key.contains(":added@"))
            })
            .collect();
        assert!(
            unplanted.is_empty(),
            "seed {seed}: false alarms: {unplanted:#?}"
        );
    }
}
