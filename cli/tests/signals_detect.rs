//! `revloop signals detect`: the detectors offline, on files, with no server.

use std::process::Command;

const NOW: &str = "2026-03-10T12:00:00Z";

fn revloop(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_revloop"))
        .args(args)
        .output()
        .expect("revloop runs")
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("writable temp dir");
    path.display().to_string()
}

const TICKET_V1: &str = r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","subject":"Export fails","severity":3,"status":"open","opened_at":"2026-03-01T00:00:00Z"}"#;
const TICKET_V2: &str = r#"{"type":"ticket","id":"t1","account_id":"acme","updated_at":"2026-03-09T00:00:00Z","subject":"Export fails, Rivalsoft mentioned","severity":2,"status":"open","opened_at":"2026-03-01T00:00:00Z"}"#;

#[test]
fn prints_one_json_signal_per_line_using_previous_versions_and_config() {
    let dir = tempfile::tempdir().unwrap();
    let current = write(&dir, "current.jsonl", &format!("{TICKET_V2}\n"));
    let previous = write(&dir, "previous.jsonl", &format!("{TICKET_V1}\n"));
    let config = write(
        &dir,
        "tenant.toml",
        "[signals]\ncompetitors = [\"Rivalsoft\"]\nsev2_aging_days = 30\n",
    );
    let out = revloop(&[
        "signals",
        "detect",
        "--input",
        &current,
        "--previous",
        &previous,
        "--now",
        NOW,
        "--config",
        &config,
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let signals: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let types: Vec<&str> = signals
        .iter()
        .map(|s| s["signal_type"].as_str().unwrap())
        .collect();
    assert_eq!(types.len(), 2, "{types:?}");
    assert!(types.contains(&"SUPPORT_TICKET_ESCALATION"));
    assert!(types.contains(&"COMPETITIVE_THREAT_DETECTED"));
    for s in &signals {
        for field in [
            "account_id",
            "dedup_key",
            "severity",
            "confidence",
            "evidence_refs",
            "details",
        ] {
            assert!(!s[field].is_null(), "{field} in {s}");
        }
        assert!(!s["evidence_refs"].as_array().unwrap().is_empty());
    }
    // Without --previous the ticket is new: no escalation (severity did not decrease), and the
    // 8-day-old severity-2 ticket is aging under the default 5-day limit.
    let out = revloop(&[
        "signals", "detect", "--input", &current, "--now", NOW, "--json",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("SUPPORT_SEV2_AGING") && !text.contains("SUPPORT_TICKET_ESCALATION"),
        "{text}"
    );
}

#[test]
fn malformed_lines_are_reported_and_give_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let current = write(
        &dir,
        "current.jsonl",
        &format!("{TICKET_V2}\n{{\"type\":\"account\",\"id\":\"x\"}}\n"),
    );
    let out = revloop(&["signals", "detect", "--input", &current, "--now", NOW]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 2: field `updated_at`: missing required field"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("SUPPORT_SEV2_AGING"),
        "good lines still count"
    );
}

#[test]
fn unknown_config_keys_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let current = write(&dir, "current.jsonl", &format!("{TICKET_V2}\n"));
    let config = write(&dir, "tenant.toml", "[signals]\nrenewal_window_dayz = 3\n");
    let out = revloop(&[
        "signals", "detect", "--input", &current, "--now", NOW, "--config", &config,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `renewal_window_dayz`"));
}
