//! The Titan memory backend with the real Bedrock runtime SDK, against a local server that
//! answers `InvokeModel` as Bedrock does (the end-to-end tests' own, shared by path).

#[path = "../../tests/titan_server.rs"]
mod titan_server;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;

use aws_sdk_bedrockruntime::config::{BehaviorVersion, Credentials, Region};
use revloop_activities::memory::conformance::check_memory;
use revloop_activities::memory::{MemoryIndex, TitanMemory};
use revloop_domain::world::memory::Chunk;
use titan_server::{MODEL, local_titan};

const DIMENSIONS: usize = 64;

fn client(addr: SocketAddr) -> aws_sdk_bedrockruntime::Client {
    let config = aws_sdk_bedrockruntime::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .endpoint_url(format!("http://{addr}"))
        .build();
    aws_sdk_bedrockruntime::Client::from_conf(config)
}

/// The backend under test, talking to the local server, with its vectors in the SQLite store
/// at `file`.
fn titan(addr: SocketAddr, file: &std::path::Path) -> TitanMemory {
    let store = revloop_store::SqliteStore::open(file).unwrap();
    TitanMemory::new(
        client(addr),
        MODEL,
        DIMENSIONS as u32,
        std::sync::Arc::new(store),
    )
}

#[tokio::test]
async fn titan_memory_passes_the_memory_checks_through_the_bedrock_sdk() {
    let (addr, seen) = local_titan("AKIDTEST").await;
    let dir = tempfile::tempdir().unwrap();
    let memory = titan(addr, &dir.path().join("v.db"));
    check_memory(&memory).await;
    assert!(
        seen.calls.load(Ordering::SeqCst) > 10,
        "every chunk and query was embedded"
    );

    // Vectors persist: a new process finds what an earlier one indexed.
    let reopened = titan(addr, &dir.path().join("v.db"));
    let hits = reopened
        .search("t1", Some("acme"), "rivalsoft pricing", 3)
        .await
        .unwrap();
    assert_eq!(hits[0].chunk.chunk_id, "note:a#0");
    assert!(hits[0].score > 0.5, "{hits:?}");
}

#[tokio::test]
async fn a_refused_embedding_is_a_clear_error_and_keeps_what_was_stored() {
    let (addr, _) = local_titan("AKIDTEST").await;
    let dir = tempfile::tempdir().unwrap();
    let memory = titan(addr, &dir.path().join("v.db"));
    let chunk = |id: &str, text: &str| Chunk {
        chunk_id: id.into(),
        account_id: "acme".into(),
        kind: "note".into(),
        text: text.into(),
        evidence_ref: format!("rec:{id}@1"),
    };
    memory
        .index("t1", &[chunk("note:a#0", "Rivalsoft pricing")])
        .await
        .unwrap();
    let refused = memory
        .index(
            "t1",
            &[
                chunk("note:a#0", "replaced"),
                chunk("note:b#0", "FAIL-THIS"),
            ],
        )
        .await
        .expect_err("the model refused one chunk");
    let text = refused.to_string();
    assert!(
        text.contains(MODEL) && text.contains("Malformed input request"),
        "{text}"
    );
    let hits = memory
        .search("t1", None, "rivalsoft pricing", 5)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].chunk.text, "Rivalsoft pricing",
        "nothing of the failed batch was written"
    );

    let wrong_model = TitanMemory::new(
        client(addr),
        "amazon.titan-embed-g1-text-02",
        64,
        std::sync::Arc::new(revloop_store::SqliteStore::open(dir.path().join("w.db")).unwrap()),
    );
    let missing = wrong_model
        .search("t1", None, "anything", 5)
        .await
        .expect_err("unknown model");
    assert!(
        missing.to_string().contains("ResourceNotFoundException"),
        "{missing}"
    );
}
