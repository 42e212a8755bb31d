//! `revloop decide`: the whole pipeline offline on a generated export. Every account with a
//! planted signal gets one decision, each proposal reads as the protocol requires, bad lines
//! are reported by file and line, and a config naming an unknown model is refused.

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

fn seed(dir: &tempfile::TempDir) -> String {
    let out = dir.path().display().to_string();
    let seeded = revloop(&[
        "seed",
        "--accounts",
        "12",
        "--seed",
        "5",
        "--now",
        NOW,
        "--out",
        &out,
    ]);
    assert_eq!(
        seeded.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    out
}

#[test]
fn every_signalled_account_gets_one_decision_that_reads_as_the_protocol_requires() {
    let dir = tempfile::tempdir().unwrap();
    let out = seed(&dir);
    let records = format!("crm={out}/records.jsonl");
    let previous = format!("{out}/previous.jsonl");
    let config = format!("{out}/tenant.toml");
    let decided = revloop(&[
        "decide",
        "--input",
        &records,
        "--previous",
        &previous,
        "--config",
        &config,
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(
        decided.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&decided.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&decided.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    let expected: BTreeSet<String> =
        std::fs::read_to_string(format!("{out}/expected_signals.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<ExpectedSignal>(l)
                    .unwrap()
                    .account_id
            })
            .collect();
    let decided_accounts: Vec<String> = lines
        .iter()
        .map(|l| l["account_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        decided_accounts.iter().cloned().collect::<BTreeSet<_>>(),
        expected,
        "one decision per signalled account"
    );
    assert_eq!(
        decided_accounts.len(),
        expected.len(),
        "no account decided twice"
    );
    let mut proposed = 0;
    for line in &lines {
        assert!(!line["signals"].as_array().unwrap().is_empty(), "{line}");
        assert!(line["questions"].is_array(), "{line}");
        let proposals = line["proposals"].as_array().unwrap();
        if proposals.is_empty() {
            assert_eq!(line["message"], "NO_ACTION", "{line}");
        }
        for (i, p) in proposals.iter().enumerate() {
            proposed += 1;
            assert_eq!(p["rank"], (i + 1) as u64, "ranks 1..n: {line}");
            assert!(!p["why_now"].as_str().unwrap().trim().is_empty(), "{p}");
            assert!(!p["evidence_refs"].as_array().unwrap().is_empty(), "{p}");
            assert!(!p["playbook"].as_str().unwrap().is_empty(), "{p}");
            let confidence = p["confidence"].as_f64().unwrap();
            assert!(confidence > 0.0 && confidence <= 1.0, "{p}");
            // A customer-facing action needs a recipient; a CRM mutation waits for approval too
            // (the default write-back policy) and names its record instead.
            if p["requires_approval"] == true && p["kind"] == "update_crm_field" {
                assert!(
                    p["params"]["entity"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("opportunity:")),
                    "{p}"
                );
            } else if p["requires_approval"] == true {
                assert!(
                    p["params"]["to"].as_str().unwrap_or_default().contains('@'),
                    "{p}"
                );
            }
        }
    }
    assert!(proposed > 0, "the planted situations lead to proposals");
}

#[test]
fn bad_lines_are_reported_by_file_and_line_and_an_unknown_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"type\":\"account\",\"id\":\"acme\",\"updated_at\":\"2026-03-01T00:00:00Z\",\"name\":\"Acme\"}\n{oops\n",
    )
    .unwrap();
    let bad = bad.display().to_string();
    let out = revloop(&["decide", "--input", &bad, "--now", NOW]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{bad}: line 2")), "{stderr}");

    let config = dir.path().join("tenant.toml");
    std::fs::write(&config, "[decision]\nmodel = \"gpt\"\n").unwrap();
    let config = config.display().to_string();
    let out = revloop(&["decide", "--input", &bad, "--now", NOW, "--config", &config]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no decision model \"gpt\""), "{stderr}");
}

/// Two trusted systems give the account two renewal dates: the decision asks which is right,
/// with each system's date as an option, and proposes nothing that rests on the date.
#[test]
fn a_disputed_renewal_date_is_a_question_with_both_dates_as_options() {
    let dir = tempfile::tempdir().unwrap();
    let crm = dir.path().join("crm.jsonl");
    let contracts = dir.path().join("contracts.jsonl");
    std::fs::write(
        &crm,
        concat!(
            r#"{"type":"account","id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Acme","owner":"sam"}"#,
            "\n",
            r#"{"type":"contact","id":"ada","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","name":"Ada Lovelace","email":"ada@acme.test","role":"champion","is_primary":true,"active":true}"#,
            "\n",
            r#"{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-03-01T00:00:00Z","start_date":"2025-05-10","end_date":"2026-05-09"}"#,
            "\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &contracts,
        concat!(
            r#"{"type":"contract","id":"CLM-7","account_id":"acme","updated_at":"2026-03-02T00:00:00Z","start_date":"2025-08-01","end_date":"2026-07-31"}"#,
            "\n"
        ),
    )
    .unwrap();
    let decided = revloop(&[
        "decide",
        "--input",
        &format!("salesforce={}", crm.display()),
        "--input",
        &format!("contracts={}", contracts.display()),
        "--now",
        NOW,
        "--json",
    ]);
    assert_eq!(
        decided.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&decided.stderr)
    );
    let line: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&decided.stdout).trim()).unwrap();
    assert_eq!(line["account_id"], "acme");
    assert_eq!(line["message"], "CLARIFICATION_REQUEST", "{line}");
    assert_eq!(line["proposals"], serde_json::json!([]));
    let question = &line["questions"][0];
    assert_eq!(question["entity"], "account:acme");
    assert_eq!(question["field"], "renewal_date");
    let options: Vec<(&str, &str)> = question["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["source"].as_str().unwrap(), o["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        options,
        [("contracts", "2026-07-31"), ("salesforce", "2026-05-09")]
    );
}
