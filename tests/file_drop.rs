//! A file-drop directory on a Schedule: each dropped file is processed once, in name order;
//! a file dropped again unchanged is not processed twice.

use std::time::Duration;

use revloop_domain::records::RecordKey;
use revloop_proto::v1 as pb;
use revloop_store::RecordStore;
use serde_json::json;

use crate::helpers::*;

fn account(id: &str) -> String {
    format!(
        "{}\n",
        json!({"type": "account", "id": id, "updated_at": "2026-03-01T00:00:00Z", "name": format!("Company {id}")})
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_files_are_processed_once_each() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    // The drop folder lives in the tenant's inbox folder and is named relative to it.
    let drop_dir = inbox_of(&env.store_path).join(TENANT).join("drop");
    std::fs::create_dir_all(&drop_dir)?;
    std::fs::write(drop_dir.join("2026-03-01-a.jsonl"), account("fd-1"))?;
    std::fs::write(drop_dir.join("2026-03-01-b.jsonl"), account("fd-2"))?;
    std::fs::write(drop_dir.join("notes.txt"), "not a drop file")?;
    client
        .connectors
        .register_connector(pb::RegisterConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "drop".into(),
            kind: "file_drop".into(),
            secret_ref: String::new(),
            config_json: json!({ "dir": "drop" }).to_string(),
        })
        .await?;
    client
        .connectors
        .schedule_connector(pb::ScheduleConnectorRequest {
            tenant_id: TENANT.into(),
            connector_id: "drop".into(),
            every_secs: 1,
        })
        .await?;
    let store = env.store()?;
    let stored = |id: &'static str| {
        let store = store.clone();
        async move {
            anyhow::Ok(
                store
                    .latest_version(
                        TENANT,
                        &RecordKey {
                            record_type: "account".into(),
                            id: id.into(),
                        },
                    )
                    .await?
                    .map(|_| ()),
            )
        }
    };
    eventually("both dropped files", Duration::from_secs(60), || async {
        Ok(stored("fd-1").await?.and(stored("fd-2").await?))
    })
    .await?;

    std::fs::write(drop_dir.join("2026-03-02-c.jsonl"), account("fd-3"))?;
    std::fs::write(drop_dir.join("2026-03-02-copy-of-a.jsonl"), account("fd-1"))?;
    eventually("the later file", Duration::from_secs(60), || stored("fd-3")).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let db = rusqlite::Connection::open(&env.store_path)?;
    let batches: i64 = db.query_row(
        "SELECT count(*) FROM evidence WHERE tenant_id = ?1",
        [TENANT],
        |r| r.get(0),
    )?;
    assert_eq!(
        batches, 3,
        "three distinct files, each stored once; the copy and the .txt are not batches"
    );
    let normalized: i64 = db.query_row(
        "SELECT count(*) FROM ledger WHERE tenant_id = ?1 AND activity LIKE '%normalize_records'",
        [TENANT],
        |r| r.get(0),
    )?;
    assert_eq!(normalized, 3, "each file was normalized once");
    client
        .connectors
        .delete_schedule(pb::DeleteScheduleRequest {
            tenant_id: TENANT.into(),
            connector_id: "drop".into(),
        })
        .await?;
    Ok(())
}
