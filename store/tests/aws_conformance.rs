//! The AWS backend against real servers on loopback (moto's DynamoDB, versitygw's S3): the
//! whole conformance suite, and what only Object Lock can promise.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use revloop_store::aws::local::LocalAws;

/// One pair of servers per test binary; each test gets tables and buckets of its own.
fn servers() -> &'static LocalAws {
    static SERVERS: OnceLock<LocalAws> = OnceLock::new();
    SERVERS.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("aws-local-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        LocalAws::start(&dir).expect("starting the local DynamoDB and S3 servers")
    })
}

/// A fresh prefix: lowercase, short, unique within the run (bucket names allow no more).
fn prefix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "rl{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

revloop_store::store_conformance!(|| async {
    let store = servers()
        .store(&prefix())
        .await
        .expect("provisioning a fresh backend");
    (store, ())
});

mod object_lock {
    use super::*;
    use revloop_store::LedgerDigestStore;

    /// A kept digest can be neither overwritten through the store nor deleted through S3:
    /// Object Lock in COMPLIANCE mode refuses the delete of its version, and a shorter
    /// retention, to anyone holding the bucket's credentials.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn archived_digests_cannot_be_deleted_or_rewritten() {
        let store = servers().store(&prefix()).await.unwrap();
        let digest = revloop_domain::ledger::LedgerDigest {
            version: 1,
            tenant_id: "t1".into(),
            from_seq: 1,
            to_seq: 3,
            root: "ab".repeat(32),
            head_hash: "cd".repeat(32),
            created_at: "2026-03-10T12:00:00Z".parse().unwrap(),
            public_key: "ef".repeat(32),
            signature: "01".repeat(64),
        };
        store.put_digest(&digest).await.unwrap();
        let mut forged = digest.clone();
        forged.root = "00".repeat(32);
        let err = store.put_digest(&forged).await.unwrap_err();
        assert_eq!(err.kind, revloop_store::StoreErrorKind::Conflict, "{err:?}");

        let settings = store.settings().clone();
        let sdk = revloop_store::aws::local::local_sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .endpoint_url(settings.s3_endpoint.clone().unwrap())
                .force_path_style(true)
                .build(),
        );
        let key = "t1/digests/00000000000000000003.json";
        let versions = s3
            .list_object_versions()
            .bucket(&settings.ledger_bucket)
            .prefix(key)
            .send()
            .await
            .unwrap();
        let version_id = versions.versions()[0].version_id().unwrap().to_string();
        let head = s3
            .head_object()
            .bucket(&settings.ledger_bucket)
            .key(key)
            .version_id(&version_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            head.object_lock_mode(),
            Some(&aws_sdk_s3::types::ObjectLockMode::Compliance),
            "each digest is locked in COMPLIANCE mode"
        );
        let until = head
            .object_lock_retain_until_date()
            .expect("a retain-until date");
        assert!(
            until.secs() > chrono::Utc::now().timestamp() + 3600,
            "locked for the configured day: {until:?}"
        );
        let delete = s3
            .delete_object()
            .bucket(&settings.ledger_bucket)
            .key(key)
            .version_id(&version_id)
            .bypass_governance_retention(true)
            .send()
            .await;
        assert!(
            delete.is_err(),
            "deleting a locked digest version must be refused: {delete:?}"
        );
        let shorten = s3
            .put_object_retention()
            .bucket(&settings.ledger_bucket)
            .key(key)
            .version_id(&version_id)
            .bypass_governance_retention(true)
            .retention(
                aws_sdk_s3::types::ObjectLockRetention::builder()
                    .mode(aws_sdk_s3::types::ObjectLockRetentionMode::Governance)
                    .retain_until_date(aws_sdk_s3::primitives::DateTime::from_secs(
                        chrono::Utc::now().timestamp() + 60,
                    ))
                    .build(),
            )
            .send()
            .await;
        assert!(
            shorten.is_err(),
            "a COMPLIANCE retention cannot be shortened: {shorten:?}"
        );
        assert_eq!(store.get_digest("t1", 3).await.unwrap(), Some(digest));
    }
}
