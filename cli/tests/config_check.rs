//! `revloop config check` reads the environment as the worker and API do, masks secrets, and
//! refuses contradictions with the variable's name and exit status 78.

use std::process::{Command, Output};

const APPROVAL_KEY: &str = "approval-key-0123456789abcdef-0123456789";
const JWT_SECRET: &str = "jwt-secret-0123456789abcdef";

fn check(process: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_revloop"));
    cmd.args(["config", "check", "--for", process]);
    // Only what the test gives: no stray REVLOOP_*, TEMPORAL_* or OTEL_* from the caller.
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running revloop config check")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_worker_with_its_key_passes_and_shows_what_it_will_use_with_the_key_masked() {
    let out = check(
        "worker",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            ("REVLOOP_STORE", "/var/lib/revloop/revloop.db"),
            ("REVLOOP_WORKER_MODE", "activities"),
            ("TEMPORAL_NAMESPACE", "revloop-prod"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("sqlite /var/lib/revloop/revloop.db"), "{all}");
    assert!(all.contains("revloop-prod"), "{all}");
    assert!(all.contains("activities"), "{all}");
    assert!(!all.contains(APPROVAL_KEY), "the key was printed: {all}");
    assert!(all.contains("masked"), "{all}");
}

#[test]
fn the_api_never_prints_its_signing_secret() {
    let out = check(
        "api",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            ("REVLOOP_JWT_SECRET", JWT_SECRET),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains(JWT_SECRET), "{all}");
    assert!(!all.contains(APPROVAL_KEY), "{all}");
}

#[test]
fn the_aws_store_without_a_table_prefix_is_refused_by_name() {
    let out = check(
        "worker",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            ("REVLOOP_STORE", "aws"),
            ("REVLOOP_S3_CONTENT_BUCKET", "revloop-prod-content"),
            ("REVLOOP_S3_LEDGER_BUCKET", "revloop-prod-ledger"),
            ("REVLOOP_S3_SCHEMA_BUCKET", "revloop-prod-schemas"),
            ("REVLOOP_KMS_KEY_ID", "alias/revloop-prod"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("REVLOOP_AWS_TABLE_PREFIX"), "{all}");
}

/// The AWS backend's whole set of names, as the infra/aws stack outputs them.
const AWS_STORE: &[(&str, &str)] = &[
    ("REVLOOP_STORE", "aws"),
    ("REVLOOP_AWS_TABLE_PREFIX", "revloop-prod"),
    ("REVLOOP_S3_CONTENT_BUCKET", "revloop-prod-content"),
    ("REVLOOP_S3_LEDGER_BUCKET", "revloop-prod-ledger"),
    ("REVLOOP_S3_SCHEMA_BUCKET", "revloop-prod-schemas"),
    ("REVLOOP_KMS_KEY_ID", "alias/revloop-prod/deployment"),
    (
        "REVLOOP_KMS_TENANT_KEYS",
        "alias/revloop-prod/tenant/{tenant}",
    ),
];

#[test]
fn the_aws_store_with_titan_memory_needs_no_local_folder() {
    let mut env = vec![
        ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
        ("REVLOOP_MEMORY_BACKEND", "titan"),
    ];
    env.extend_from_slice(AWS_STORE);
    let out = check("worker", &env);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("revloop-prod-main"), "{all}");
    assert!(all.contains("alias/revloop-prod/tenant/{tenant}"), "{all}");
    assert!(all.contains("vectors in the store"), "{all}");
}

#[test]
fn node_local_bm25_memory_on_the_aws_store_is_refused() {
    let mut env = vec![("REVLOOP_APPROVAL_KEY", APPROVAL_KEY)];
    env.extend_from_slice(AWS_STORE);
    let out = check("worker", &env);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("REVLOOP_MEMORY_BACKEND=titan"), "{all}");
}

#[test]
fn aws_names_beside_a_sqlite_file_are_a_contradiction() {
    let out = check(
        "worker",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            ("REVLOOP_AWS_TABLE_PREFIX", "revloop-prod"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("only apply with REVLOOP_STORE=aws"), "{all}");
}

#[test]
fn plain_http_with_a_temporal_api_key_is_refused() {
    let out = check(
        "worker",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            (
                "TEMPORAL_ADDRESS",
                "http://revloop-prod.a1b2c.tmprl.cloud:7233",
            ),
            ("TEMPORAL_API_KEY", "secret-api-key-value"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("TEMPORAL_ADDRESS"), "{all}");
    assert!(!all.contains("secret-api-key-value"), "{all}");
}

#[test]
fn missing_required_settings_are_named_by_variable() {
    let out = check("api", &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("REVLOOP_APPROVAL_KEY"), "{all}");
    assert!(all.contains("REVLOOP_JWT_SECRET"), "{all}");
}

#[test]
fn an_unknown_log_format_is_refused() {
    let out = check(
        "worker",
        &[
            ("REVLOOP_APPROVAL_KEY", APPROVAL_KEY),
            ("REVLOOP_LOG_FORMAT", "xml"),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(78), "{all}");
    assert!(all.contains("REVLOOP_LOG_FORMAT"), "{all}");
}
