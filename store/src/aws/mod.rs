//! The AWS backend: DynamoDB for items (one main table, one append-only ledger table) and S3
//! for content (evidence, artifacts, large bodies), the ledger archive and its digests.
//!
//! `README.md` beside this file is the contract with the CDK stack and the Helm chart: every
//! key layout and access pattern used here is written down there. Every read that a decision
//! depends on is strongly consistent (a `GetItem`, `BatchGetItem` or `Query` on the base
//! table, never on the eventually consistent index), and every write that must happen once is
//! conditional, so several workers and API replicas can share one backend.

mod actions;
mod artifacts;
mod budgets;
mod connectors;
mod effects;
mod errors;
mod evidence;
mod graph;
mod items;
mod ledger;
mod ledger_digests;
pub mod local;
mod objects;
mod outcomes;
mod plans;
mod provision;
mod quarantine;
mod questions;
mod records;
mod revisions;
mod signals;
mod snapshots;
mod tenants;
mod tool_runs;
mod vectors;

use std::sync::Arc;

use aws_sdk_dynamodb::Client as DynamoDb;
use aws_sdk_s3::Client as S3;

pub use provision::{LockRetention, provision};

use crate::error::StoreResult;

/// Where the backend's tables, buckets and key live: the `REVLOOP_AWS_*`, `REVLOOP_S3_*` and
/// `REVLOOP_KMS_KEY_ID` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsSettings {
    /// The tables are `{prefix}-main` and `{prefix}-ledger`.
    pub table_prefix: String,
    /// Evidence, artifacts and bodies too large for an item (versioned, content-addressed).
    pub content_bucket: String,
    /// The ledger archive and its digests (Object Lock, COMPLIANCE mode).
    pub ledger_bucket: String,
    /// The schema registry (Object Lock, COMPLIANCE mode).
    pub schema_bucket: String,
    /// The deployment's KMS key (id, ARN or alias): objects are written with SSE-KMS under it.
    /// `None` sends no encryption headers, for S3 servers without KMS (the local test servers).
    pub kms_key_id: Option<String>,
    /// Each tenant's own key, with `{tenant}` standing for its id (`alias/revloop/tenant/{tenant}`,
    /// the aliases the CDK stack creates); `None`: every tenant's objects use `kms_key_id`.
    pub tenant_key_pattern: Option<String>,
    /// How long each ledger archive object and digest is locked (COMPLIANCE mode), in days.
    /// Sent with every put, so the lock never depends on a bucket default being applied.
    pub ledger_lock_days: u32,
    pub dynamodb_endpoint: Option<String>,
    /// An endpoint override turns on path-style addressing, as S3-compatible servers need.
    pub s3_endpoint: Option<String>,
}

impl AwsSettings {
    pub fn main_table(&self) -> String {
        format!("{}-main", self.table_prefix)
    }
    pub fn ledger_table(&self) -> String {
        format!("{}-ledger", self.table_prefix)
    }
}

/// The DynamoDB + S3 store. Cloning shares the clients.
#[derive(Clone)]
pub struct AwsStore {
    inner: Arc<Inner>,
}

struct Inner {
    ddb: DynamoDb,
    s3: S3,
    settings: AwsSettings,
    main: String,
    ledger: String,
}

impl AwsStore {
    /// Connects with the standard AWS credential and region chain (IRSA, instance role,
    /// `AWS_PROFILE`, environment).
    pub async fn connect(settings: AwsSettings) -> StoreResult<Self> {
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        Ok(Self::with_sdk_config(&sdk, settings))
    }

    /// Connects with an SDK configuration the caller built (tests pass static credentials).
    pub fn with_sdk_config(sdk: &aws_config::SdkConfig, settings: AwsSettings) -> Self {
        let mut ddb = aws_sdk_dynamodb::config::Builder::from(sdk);
        if let Some(url) = &settings.dynamodb_endpoint {
            ddb = ddb.endpoint_url(url);
        }
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk)
            // Checksums only where S3 requires them, so S3-compatible servers accept the puts.
            .request_checksum_calculation(
                aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired,
            )
            .response_checksum_validation(
                aws_sdk_s3::config::ResponseChecksumValidation::WhenRequired,
            );
        if let Some(url) = &settings.s3_endpoint {
            s3 = s3.endpoint_url(url).force_path_style(true);
        }
        let (main, ledger) = (settings.main_table(), settings.ledger_table());
        Self {
            inner: Arc::new(Inner {
                ddb: DynamoDb::from_conf(ddb.build()),
                s3: S3::from_conf(s3.build()),
                settings,
                main,
                ledger,
            }),
        }
    }

    pub fn settings(&self) -> &AwsSettings {
        &self.inner.settings
    }
    pub(crate) fn ddb(&self) -> &DynamoDb {
        &self.inner.ddb
    }
    pub(crate) fn s3(&self) -> &S3 {
        &self.inner.s3
    }
    pub(crate) fn main(&self) -> &str {
        &self.inner.main
    }
    pub(crate) fn ledger_table(&self) -> &str {
        &self.inner.ledger
    }
}

/// `T#{tenant}`: the tenant's own partition (its config, connectors, actions, plans, …).
pub(crate) fn tenant_pk(tenant: &str) -> String {
    format!("T#{tenant}")
}

/// `T#{tenant}#ACCT#{account}`: what the account's world is computed from, in one partition,
/// so it reads back strongly consistent in one query.
pub(crate) fn account_pk(tenant: &str, account: &str) -> String {
    format!("T#{tenant}#ACCT#{account}")
}
