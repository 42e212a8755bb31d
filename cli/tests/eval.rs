//! `revloop eval`: on three generator seeds every playbook proposes the kind the planted
//! situation calls for (100 % recall), every proposal is grounded in stored record versions,
//! and every proposal is routed as its kind's class requires.

use std::process::Command;

const NOW: &str = "2026-03-10T12:00:00Z";

#[test]
fn three_seeds_at_full_recall_grounded_and_routed_right() {
    for seed in ["1", "2", "3"] {
        let out = Command::new(env!("CARGO_BIN_EXE_revloop"))
            .args([
                "eval",
                "--seed",
                seed,
                "--accounts",
                "30",
                "--now",
                NOW,
                "--json",
            ])
            .output()
            .expect("revloop runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let playbooks = report["playbooks"].as_object().unwrap();
        assert_eq!(
            playbooks.len(),
            16,
            "seed {seed}: every playbook is planted: {report}"
        );
        for (name, score) in playbooks {
            assert!(
                score["expected"].as_u64().unwrap() >= 1,
                "seed {seed}: {name} planted"
            );
            assert_eq!(
                score["recall"], 1.0,
                "seed {seed}: {name} misses {:?}",
                report["missed"]
            );
        }
        assert_eq!(report["missed"], serde_json::json!([]));
        assert_eq!(report["grounding_rate"], 1.0, "seed {seed}");
        assert_eq!(report["routing_correct_rate"], 1.0, "seed {seed}");
        assert!(
            report["proposals"].as_u64().unwrap() > 30,
            "seed {seed}: {report}"
        );
    }
}
