//! `revloop bench perception` runs end to end on a small tenant and reports what it measured.

use std::process::Command;

#[test]
fn the_perception_bench_reports_full_and_delta_runs() {
    let out = Command::new(env!("CARGO_BIN_EXE_revloop"))
        .args([
            "bench",
            "perception",
            "--records",
            "3000",
            "--changed-pct",
            "2",
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
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    assert_eq!(report["records"], 3000);
    assert_eq!(
        report["full_changed"], 3000,
        "every record is new on the first run"
    );
    assert_eq!(report["delta_records"], 60);
    assert_eq!(
        report["delta_changed"], 60,
        "every delta record is a change"
    );
    assert!(report["records_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["peak_rss_mib"].as_f64().unwrap() > 0.0);
    assert!(report["delta_cost_pct"].as_f64().unwrap() > 0.0);
}
