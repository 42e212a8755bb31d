//! A batch with malformed lines: each bad line is reported with its line number and field, the
//! good lines are processed, and the bad lines are kept with their error.

use revloop_domain::auth::Role;
use revloop_domain::records::RecordKey;
use revloop_store::{QuarantineStore, RecordStore};

use crate::helpers::*;

const EXPECTED_FIELDS: [&str; 4] = ["line 2", "line 3: id", "line 4: arr", "line 5: type"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_lines_are_reported_kept_and_the_rest_processed() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let response = env
        .ingest_fixture(&mut client, "malformed.jsonl", TENANT)
        .await?;
    // The report is in the answer's body: status trailers have a size limit a few dozen bad
    // lines pass.
    assert_eq!((response.accepted, response.rejected), (2, 4));
    let fields: Vec<String> = response
        .rejected_lines
        .iter()
        .map(|l| match l.field.as_str() {
            "" => format!("line {}", l.line),
            f => format!("line {}: {f}", l.line),
        })
        .collect();
    assert_eq!(fields, EXPECTED_FIELDS);
    assert!(
        response.rejected_lines[2].message.contains("invalid type"),
        "{:?}",
        response.rejected_lines[2]
    );
    assert!(
        response.rejected_lines[3]
            .message
            .contains("unknown record type \"invoice\"")
    );

    let store = env.store()?;
    let kept = store.list_quarantined(TENANT).await?;
    assert_eq!(
        kept.iter().map(|q| q.line).collect::<Vec<_>>(),
        vec![2, 3, 4, 5]
    );
    assert_eq!(kept[2].field.as_deref(), Some("arr"));
    assert!(kept[2].raw.contains("\"lots\""), "the raw line is kept");

    // The good lines went through perception.
    for (record_type, id) in [("account", "good1"), ("contact", "good1-p1")] {
        let key = RecordKey {
            record_type: record_type.into(),
            id: id.into(),
        };
        let store = store.clone();
        eventually(
            &format!("{record_type} {id} to be stored"),
            std::time::Duration::from_secs(60),
            || {
                let (store, key) = (store.clone(), key.clone());
                async move { Ok(store.latest_version(TENANT, &key).await?) }
            },
        )
        .await?;
    }

    // The CLI says the same and exits non-zero.
    let path = env.dir.path().join("malformed.jsonl");
    std::fs::write(
        &path,
        revloop_cli::fixtures::render(
            &std::fs::read_to_string(fixture_path("malformed.jsonl"))?,
            chrono::Utc::now(),
        )?,
    )?;
    let out = env.revloop_cli(
        TENANT,
        &[Role::Admin],
        &["ingest", path.to_str().unwrap_or_default()],
    )?;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("4 line(s) rejected, 2 accepted and processed"),
        "CLI stderr: {stderr}"
    );
    for field in EXPECTED_FIELDS {
        assert!(stderr.contains(field), "CLI names {field}: {stderr}");
    }
    Ok(())
}
