//! Creates the tables and buckets of `README.md` where nothing has created them: the local
//! servers the tests and the demo run against. In AWS the CDK stack creates them (with the
//! same names, keys, index, TTL, versioning and Object Lock).

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, ObjectLockConfiguration, ObjectLockEnabled,
    ObjectLockRetentionMode, ObjectLockRule, VersioningConfiguration,
};

use super::AwsStore;
use super::errors::{code_of, sdk_err};
use super::items::built;
use crate::StoreResult;

/// How long the Object Lock buckets keep each version by default, in days.
#[derive(Debug, Clone, Copy)]
pub struct LockRetention {
    pub ledger_days: i32,
    pub schema_days: i32,
}

impl Default for LockRetention {
    /// The stack's defaults: 7 years for the ledger, 10 for schemas.
    fn default() -> Self {
        Self {
            ledger_days: 7 * 365,
            schema_days: 10 * 365,
        }
    }
}

fn attribute(name: &str, kind: ScalarAttributeType) -> StoreResult<AttributeDefinition> {
    built(
        "AttributeDefinition",
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build(),
    )
}

fn key_element(name: &str, kind: KeyType) -> StoreResult<KeySchemaElement> {
    built(
        "KeySchemaElement",
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build(),
    )
}

/// Creates what is missing; what exists is left as it is.
pub async fn provision(store: &AwsStore, retention: LockRetention) -> StoreResult<()> {
    let ddb = store.ddb();
    let main = ddb
        .create_table()
        .table_name(store.main())
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("sk", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("gsi1pk", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("gsi1sk", ScalarAttributeType::S)?)
        .key_schema(key_element("pk", KeyType::Hash)?)
        .key_schema(key_element("sk", KeyType::Range)?)
        .global_secondary_indexes(built(
            "GlobalSecondaryIndex",
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key_element("gsi1pk", KeyType::Hash)?)
                .key_schema(key_element("gsi1sk", KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build(),
        )?)
        .send()
        .await;
    let created = match main {
        Ok(_) => true,
        Err(e) if code_of(&e) == Some("ResourceInUseException") => false,
        Err(e) => return Err(sdk_err("CreateTable main", e)),
    };
    if created {
        ddb.update_time_to_live()
            .table_name(store.main())
            .time_to_live_specification(built(
                "TimeToLiveSpecification",
                TimeToLiveSpecification::builder()
                    .attribute_name("expires_at")
                    .enabled(true)
                    .build(),
            )?)
            .send()
            .await
            .map_err(|e| sdk_err("UpdateTimeToLive", e))?;
    }
    match ddb
        .create_table()
        .table_name(store.ledger_table())
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", ScalarAttributeType::S)?)
        .attribute_definitions(attribute("seq", ScalarAttributeType::N)?)
        .key_schema(key_element("pk", KeyType::Hash)?)
        .key_schema(key_element("seq", KeyType::Range)?)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if code_of(&e) == Some("ResourceInUseException") => {}
        Err(e) => return Err(sdk_err("CreateTable ledger", e)),
    }
    let settings = store.settings().clone();
    create_bucket(store, &settings.content_bucket, None).await?;
    create_bucket(store, &settings.ledger_bucket, Some(retention.ledger_days)).await?;
    create_bucket(store, &settings.schema_bucket, Some(retention.schema_days)).await?;
    Ok(())
}

/// A versioned bucket; with `lock_days`, Object Lock on and a default COMPLIANCE retention.
async fn create_bucket(store: &AwsStore, bucket: &str, lock_days: Option<i32>) -> StoreResult<()> {
    let s3 = store.s3();
    match s3
        .create_bucket()
        .bucket(bucket)
        .object_lock_enabled_for_bucket(lock_days.is_some())
        .send()
        .await
    {
        Ok(_) => {}
        Err(e)
            if matches!(
                code_of(&e),
                Some("BucketAlreadyOwnedByYou") | Some("BucketAlreadyExists")
            ) =>
        {
            return Ok(());
        }
        Err(e) => return Err(sdk_err(&format!("CreateBucket {bucket}"), e)),
    }
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_err(&format!("PutBucketVersioning {bucket}"), e))?;
    if let Some(days) = lock_days {
        s3.put_object_lock_configuration()
            .bucket(bucket)
            .object_lock_configuration(
                ObjectLockConfiguration::builder()
                    .object_lock_enabled(ObjectLockEnabled::Enabled)
                    .rule(
                        ObjectLockRule::builder()
                            .default_retention(
                                DefaultRetention::builder()
                                    .mode(ObjectLockRetentionMode::Compliance)
                                    .days(days)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sdk_err(&format!("PutObjectLockConfiguration {bucket}"), e))?;
    }
    Ok(())
}
