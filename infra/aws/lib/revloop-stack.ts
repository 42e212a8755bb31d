import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { RevloopBuckets } from './buckets.js';
import { resolveConfig, ResolvedConfig, RevloopConfig, tenantOutputSuffix } from './config.js';
import { RevloopKeys } from './keys.js';
import { RevloopRoles } from './roles.js';
import { RevloopTables } from './tables.js';

export type RevloopStackProps = StackProps & RevloopConfig;

/**
 * Everything revloop's `aws` store backend needs (store/src/aws/README.md): the keys, the two
 * tables, the three buckets and the three roles, with one output per setting.
 */
export class RevloopStack extends Stack {
  readonly config: ResolvedConfig;
  readonly keys: RevloopKeys;
  readonly tables: RevloopTables;
  readonly buckets: RevloopBuckets;
  readonly roles: RevloopRoles;

  constructor(scope: Construct, id: string, props: RevloopStackProps = {}) {
    super(scope, id, props);
    const config = resolveConfig(props);
    this.config = config;
    const { prefix } = config;

    this.keys = new RevloopKeys(this, 'Keys', { prefix, tenants: config.tenants });
    const key = this.keys.deploymentKey;
    this.tables = new RevloopTables(this, 'Tables', { prefix, key, ledgerHeadAttributes: config.ledgerHeadAttributes });
    this.buckets = new RevloopBuckets(this, 'Buckets', {
      prefix,
      key,
      ledgerRetentionDays: config.ledgerRetentionDays,
      schemaRetentionDays: config.schemaRetentionDays,
    });
    this.roles = new RevloopRoles(this, 'Roles', {
      prefix,
      tables: this.tables,
      buckets: this.buckets.all,
      contentBucket: this.buckets.content,
      keys: this.keys.allKeys,
      bedrockModelIds: config.bedrockModelIds,
      ledgerHeadAttributes: config.ledgerHeadAttributes,
      irsa: config.irsa,
    });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output('TablePrefix', prefix, 'REVLOOP_AWS_TABLE_PREFIX: the tables are {prefix}-main and {prefix}-ledger');
    output('TableMainName', this.tables.main.tableName, 'The main table ({REVLOOP_AWS_TABLE_PREFIX}-main)');
    output('TableLedgerName', this.tables.ledger.tableName, 'The ledger table ({REVLOOP_AWS_TABLE_PREFIX}-ledger)');
    output('ContentBucketName', this.buckets.content.bucketName, 'REVLOOP_S3_CONTENT_BUCKET: evidence, snapshots, artifacts, memory');
    output('LedgerBucketName', this.buckets.ledger.bucketName, 'REVLOOP_S3_LEDGER_BUCKET: ledger archive and digests (Object Lock COMPLIANCE)');
    output('SchemaBucketName', this.buckets.schemas.bucketName, 'REVLOOP_S3_SCHEMA_BUCKET: the schema registry (Object Lock COMPLIANCE)');
    output('KmsKeyArn', key.keyArn, 'REVLOOP_KMS_KEY_ID: the deployment key');
    for (const [tenant, tenantKey] of this.keys.tenantKeys) {
      output(
        `TenantKeyArn${tenantOutputSuffix(tenant)}`,
        tenantKey.keyArn,
        `storage.kms_key_id of tenant ${tenant}'s config (alias/${prefix}/tenant/${tenant})`,
      );
    }
    output('WorkerRoleArn', this.roles.worker.roleArn, "The worker's role: Helm serviceAccount.worker.annotations eks.amazonaws.com/role-arn");
    output('ApiRoleArn', this.roles.api.roleArn, "The API's role: Helm serviceAccount.api.annotations eks.amazonaws.com/role-arn");
    output('AgentToolsRoleArn', this.roles.agentTools.roleArn, "The agent tools' role (read only): eks.amazonaws.com/role-arn of their service account");
    output('Region', Aws.REGION, 'AWS_REGION: the region of every table, bucket and key');
  }
}
