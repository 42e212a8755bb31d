//! What every memory backend must do, as one check each backend's tests run on a fresh index.

use revloop_domain::world::memory::Chunk;

use super::MemoryIndex;

fn chunk(id: &str, account: &str, text: &str) -> Chunk {
    Chunk {
        chunk_id: id.into(),
        account_id: account.into(),
        kind: "note".into(),
        text: text.into(),
        evidence_ref: format!("rec:{id}@1"),
    }
}

async fn ids(
    memory: &dyn MemoryIndex,
    tenant: &str,
    account: Option<&str>,
    q: &str,
) -> Vec<String> {
    memory
        .search(tenant, account, q, 10)
        .await
        .expect("search")
        .into_iter()
        .map(|h| h.chunk.chunk_id)
        .collect()
}

/// Ranks within the tenant (and account), cites evidence, replaces a record's chunks.
pub async fn check_memory(memory: &dyn MemoryIndex) {
    assert!(
        ids(memory, "t1", None, "rivalsoft").await.is_empty(),
        "nothing indexed yet"
    );
    memory
        .index(
            "t1",
            &[
                chunk("note:a#0", "acme", "Rivalsoft pricing worries the buyer"),
                chunk("note:b#0", "acme", "Training for new hires next week"),
                chunk("note:c#0", "globex", "Globex renewal call went well"),
            ],
        )
        .await
        .expect("index t1");
    memory
        .index(
            "t2",
            &[chunk(
                "note:a#0",
                "acme",
                "Rivalsoft pricing in another tenant",
            )],
        )
        .await
        .expect("index t2");

    let hits = memory
        .search("t1", None, "rivalsoft pricing", 10)
        .await
        .expect("search");
    assert_eq!(hits[0].chunk.chunk_id, "note:a#0", "{hits:?}");
    assert_eq!(hits[0].chunk.evidence_ref, "rec:note:a#0@1");
    assert!(
        hits.iter()
            .all(|h| !h.chunk.text.contains("another tenant")),
        "another tenant's chunks never show: {hits:?}"
    );
    let acme = ids(memory, "t1", Some("acme"), "renewal call").await;
    assert!(acme.iter().all(|id| id != "note:c#0"), "{acme:?}");

    memory
        .index(
            "t1",
            &[chunk("note:b#0", "acme", "Now about the renewal budget")],
        )
        .await
        .expect("replace");
    let training = memory
        .search("t1", None, "training hires", 10)
        .await
        .expect("search");
    assert!(
        training.iter().all(|h| !h.chunk.text.contains("Training")),
        "the replaced text is gone: {training:?}"
    );

    // A long note cut in three, then shortened to one chunk: its old tail goes too.
    memory
        .index(
            "t1",
            &[
                chunk("note:long#0", "acme", "Security review scheduled"),
                chunk("note:long#1", "acme", "Procurement wants SOC2 evidence"),
                chunk(
                    "note:long#2",
                    "acme",
                    "Legal redlines on the indemnity clause",
                ),
            ],
        )
        .await
        .expect("index long");
    assert!(
        ids(memory, "t1", None, "indemnity redlines")
            .await
            .contains(&"note:long#2".to_string())
    );
    memory
        .index(
            "t1",
            &[chunk("note:long#0", "acme", "Security review done")],
        )
        .await
        .expect("shrink");
    let left = ids(memory, "t1", None, "indemnity redlines procurement").await;
    assert!(
        left.iter()
            .all(|id| id != "note:long#1" && id != "note:long#2"),
        "a shrunk text leaves no old chunks: {left:?}"
    );
}
