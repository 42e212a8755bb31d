//! Which store a process opens: the embedded SQLite file, or the AWS backend (DynamoDB + S3)
//! with the names `store/src/aws/README.md` documents and `infra/aws` outputs. Worker and API
//! flatten the same struct, so they can never be pointed at different stores by different
//! variable names.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use revloop_store::{AwsSettings, AwsStore, SqliteStore, Store};

#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// `aws` for DynamoDB + S3; anything else is the SQLite file shared by worker and API.
    #[arg(
        long = "store",
        env = "REVLOOP_STORE",
        default_value = ".revloop/revloop.db"
    )]
    pub store: String,
    /// AWS backend: tables `{prefix}-main` and `{prefix}-ledger`.
    #[arg(long, env = "REVLOOP_AWS_TABLE_PREFIX")]
    pub aws_table_prefix: Option<String>,
    /// AWS backend: evidence, snapshots, artifacts and memory (versioned).
    #[arg(long, env = "REVLOOP_S3_CONTENT_BUCKET")]
    pub s3_content_bucket: Option<String>,
    /// AWS backend: the ledger archive and digests (Object Lock, COMPLIANCE).
    #[arg(long, env = "REVLOOP_S3_LEDGER_BUCKET")]
    pub s3_ledger_bucket: Option<String>,
    /// AWS backend: the schema registry (Object Lock, COMPLIANCE).
    #[arg(long, env = "REVLOOP_S3_SCHEMA_BUCKET")]
    pub s3_schema_bucket: Option<String>,
    /// AWS backend: the deployment's KMS key (id, ARN or alias); tenants may name their own.
    #[arg(long, env = "REVLOOP_KMS_KEY_ID")]
    pub kms_key_id: Option<String>,
    /// AWS backend: each tenant's own key, `{tenant}` standing for its id
    /// (`alias/revloop-prod/tenant/{tenant}`, the aliases the infra/aws stack creates).
    #[arg(long, env = "REVLOOP_KMS_TENANT_KEYS")]
    pub kms_tenant_keys: Option<String>,
    /// AWS backend: days each ledger archive object and digest is locked (COMPLIANCE mode).
    #[arg(long, env = "REVLOOP_S3_LEDGER_LOCK_DAYS", default_value_t = 2555)]
    pub s3_ledger_lock_days: u32,
    /// AWS backend: a DynamoDB endpoint other than the region's (VPC endpoint, test server).
    #[arg(long, env = "REVLOOP_DYNAMODB_ENDPOINT")]
    pub dynamodb_endpoint: Option<String>,
    /// AWS backend: an S3 endpoint other than the region's; S3 then uses path-style URLs.
    #[arg(long, env = "REVLOOP_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    Sqlite(PathBuf),
    Aws(AwsSettings),
}

impl StoreArgs {
    /// The store these settings select, or what is missing or contradictory, by variable name.
    pub fn choice(&self) -> anyhow::Result<StoreChoice> {
        if self.store.trim() != "aws" {
            if self.store.trim().is_empty() {
                anyhow::bail!("REVLOOP_STORE is empty: give the SQLite file's path, or aws");
            }
            let stray: Vec<&str> = [
                ("REVLOOP_AWS_TABLE_PREFIX", &self.aws_table_prefix),
                ("REVLOOP_S3_CONTENT_BUCKET", &self.s3_content_bucket),
                ("REVLOOP_S3_LEDGER_BUCKET", &self.s3_ledger_bucket),
                ("REVLOOP_S3_SCHEMA_BUCKET", &self.s3_schema_bucket),
                ("REVLOOP_DYNAMODB_ENDPOINT", &self.dynamodb_endpoint),
                ("REVLOOP_S3_ENDPOINT", &self.s3_endpoint),
                ("REVLOOP_KMS_TENANT_KEYS", &self.kms_tenant_keys),
            ]
            .into_iter()
            .filter(|(_, v)| given(v).is_some())
            .map(|(name, _)| name)
            .collect();
            if !stray.is_empty() {
                anyhow::bail!(
                    "REVLOOP_STORE is the SQLite file {:?}, but {} set: they only apply with REVLOOP_STORE=aws",
                    self.store,
                    stray.join(", ")
                );
            }
            return Ok(StoreChoice::Sqlite(PathBuf::from(&self.store)));
        }
        let mut missing = Vec::new();
        let mut need = |name: &'static str, v: &Option<String>| match given(v) {
            Some(v) => v.to_string(),
            None => {
                missing.push(name);
                String::new()
            }
        };
        let settings = AwsSettings {
            table_prefix: need("REVLOOP_AWS_TABLE_PREFIX", &self.aws_table_prefix),
            content_bucket: need("REVLOOP_S3_CONTENT_BUCKET", &self.s3_content_bucket),
            ledger_bucket: need("REVLOOP_S3_LEDGER_BUCKET", &self.s3_ledger_bucket),
            schema_bucket: need("REVLOOP_S3_SCHEMA_BUCKET", &self.s3_schema_bucket),
            kms_key_id: Some(need("REVLOOP_KMS_KEY_ID", &self.kms_key_id)),
            tenant_key_pattern: given(&self.kms_tenant_keys).map(str::to_string),
            ledger_lock_days: self.s3_ledger_lock_days,
            dynamodb_endpoint: given(&self.dynamodb_endpoint).map(str::to_string),
            s3_endpoint: given(&self.s3_endpoint).map(str::to_string),
        };
        if !missing.is_empty() {
            anyhow::bail!(
                "REVLOOP_STORE=aws needs {} (see store/src/aws/README.md; the infra/aws stack outputs them)",
                missing.join(", ")
            );
        }
        if [
            &settings.content_bucket,
            &settings.ledger_bucket,
            &settings.schema_bucket,
        ]
        .windows(2)
        .any(|w| w[0] == w[1])
            || settings.content_bucket == settings.schema_bucket
        {
            anyhow::bail!(
                "REVLOOP_S3_CONTENT_BUCKET, REVLOOP_S3_LEDGER_BUCKET and REVLOOP_S3_SCHEMA_BUCKET must be three buckets: the ledger's and the schemas' are under Object Lock"
            );
        }
        Ok(StoreChoice::Aws(settings))
    }

    /// The SQLite file, when the store is one (the embedded deployment keeps other files
    /// beside it).
    pub fn sqlite_path(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(match self.choice()? {
            StoreChoice::Sqlite(path) => Some(path),
            StoreChoice::Aws(_) => None,
        })
    }

    /// The BM25 memory folder when none is named: `memory/` beside the SQLite file; none on the
    /// AWS backend, whose Titan vectors live in DynamoDB.
    pub fn memory_dir_beside(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(self
            .sqlite_path()?
            .map(|file| file.with_file_name("memory")))
    }

    /// Opens the selected store. The AWS backend takes credentials and region from the
    /// standard chain (IRSA, instance role, `AWS_PROFILE`, environment).
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        Ok(match self.choice()? {
            StoreChoice::Sqlite(path) => Arc::new(
                SqliteStore::open(&path)
                    .with_context(|| format!("opening the store {}", path.display()))?,
            ),
            StoreChoice::Aws(settings) => Arc::new(AwsStore::connect(settings).await?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite() -> StoreArgs {
        StoreArgs {
            store: "/var/lib/revloop/revloop.db".into(),
            aws_table_prefix: None,
            s3_content_bucket: None,
            s3_ledger_bucket: None,
            s3_schema_bucket: None,
            kms_key_id: None,
            kms_tenant_keys: None,
            s3_ledger_lock_days: 2555,
            dynamodb_endpoint: None,
            s3_endpoint: None,
        }
    }

    fn aws() -> StoreArgs {
        StoreArgs {
            store: "aws".into(),
            aws_table_prefix: Some("revloop-prod".into()),
            s3_content_bucket: Some("revloop-prod-content".into()),
            s3_ledger_bucket: Some("revloop-prod-ledger".into()),
            s3_schema_bucket: Some("revloop-prod-schemas".into()),
            kms_key_id: Some("alias/revloop-prod".into()),
            kms_tenant_keys: Some("alias/revloop-prod/tenant/{tenant}".into()),
            s3_ledger_lock_days: 2555,
            dynamodb_endpoint: None,
            s3_endpoint: None,
        }
    }

    #[test]
    fn a_path_selects_sqlite() {
        assert_eq!(
            sqlite().choice().unwrap(),
            StoreChoice::Sqlite("/var/lib/revloop/revloop.db".into())
        );
    }

    #[test]
    fn aws_with_every_name_selects_aws() {
        let StoreChoice::Aws(settings) = aws().choice().unwrap() else {
            panic!("expected aws");
        };
        assert_eq!(settings.table_prefix, "revloop-prod");
    }

    #[test]
    fn aws_without_a_table_prefix_is_refused_by_name() {
        let mut args = aws();
        args.aws_table_prefix = Some("  ".into());
        let err = args.choice().unwrap_err().to_string();
        assert!(err.contains("REVLOOP_AWS_TABLE_PREFIX"), "{err}");
        assert!(!err.contains("REVLOOP_S3_CONTENT_BUCKET"), "{err}");
    }

    #[test]
    fn aws_names_on_a_sqlite_store_are_a_contradiction() {
        let mut args = sqlite();
        args.s3_ledger_bucket = Some("revloop-prod-ledger".into());
        let err = args.choice().unwrap_err().to_string();
        assert!(err.contains("REVLOOP_S3_LEDGER_BUCKET"), "{err}");
    }

    #[test]
    fn one_bucket_for_everything_is_refused() {
        let mut args = aws();
        args.s3_ledger_bucket = args.s3_content_bucket.clone();
        let err = args.choice().unwrap_err().to_string();
        assert!(err.contains("three buckets"), "{err}");
    }

    #[test]
    fn only_a_sqlite_store_has_a_file() {
        assert!(sqlite().sqlite_path().unwrap().is_some());
        assert_eq!(aws().sqlite_path().unwrap(), None);
        let StoreChoice::Aws(settings) = aws().choice().unwrap() else {
            panic!("expected aws");
        };
        assert_eq!(
            settings.tenant_key_pattern.as_deref(),
            Some("alias/revloop-prod/tenant/{tenant}")
        );
        assert_eq!(settings.ledger_lock_days, 2555);
    }
}
