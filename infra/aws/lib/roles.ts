import { Aws, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { isInferenceProfileId, ResolvedIrsa } from './config.js';
import { LEDGER_HEAD_KEY_PATTERN, RevloopTables } from './tables.js';

export interface RevloopRolesProps {
  readonly prefix: string;
  readonly tables: RevloopTables;
  readonly buckets: readonly s3.IBucket[];
  readonly contentBucket: s3.IBucket;
  readonly keys: readonly kms.IKey[];
  readonly bedrockModelIds: readonly string[];
  readonly ledgerHeadAttributes: readonly string[];
  readonly irsa?: ResolvedIrsa;
}

/** The main table's item actions for the worker and the API (TransactWriteItems/TransactGetItems are authorized per item as these). */
export const MAIN_TABLE_READ_WRITE = [
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
/** The ledger table: read, append (PutItem), condition checks. No DeleteItem, no BatchWriteItem; UpdateItem only on head keys (LedgerHeadUpdate). */
export const LEDGER_TABLE_APPEND = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
];
export const BUCKET_OBJECT_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject'];
export const KMS_USE = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'];

/**
 * The roles `{prefix}-worker`, `{prefix}-api` and `{prefix}-agent-tools` (store/src/aws/README.md,
 * "IAM"). Each trusts its service account through the cluster's OIDC provider (IRSA) when the
 * stack is given one, else the account (sts:AssumeRole, for principals the account allows).
 * Every statement names this stack's tables, index, buckets, keys or models: no `Resource: *`.
 */
export class RevloopRoles extends Construct {
  readonly worker: iam.Role;
  readonly api: iam.Role;
  readonly agentTools: iam.Role;

  constructor(scope: Construct, id: string, props: RevloopRolesProps) {
    super(scope, id);
    const { tables } = props;
    const keyArns = props.keys.map((k) => k.keyArn);

    const dataAccess = (): iam.PolicyStatement[] => [
      new iam.PolicyStatement({
        sid: 'MainTableReadWrite',
        actions: MAIN_TABLE_READ_WRITE,
        resources: [tables.main.tableArn],
      }),
      new iam.PolicyStatement({
        sid: 'MainIndexQuery',
        actions: ['dynamodb:Query'],
        resources: [tables.mainIndexArn],
      }),
      new iam.PolicyStatement({
        sid: 'LedgerTableReadAppend',
        actions: LEDGER_TABLE_APPEND,
        resources: [tables.ledger.tableArn],
      }),
      // The head update (`next_seq`, `head_hash`), on head items only: the head is its own
      // partition (`T#{T}#HEAD`), so `dynamodb:LeadingKeys` tells it from the entries (`T#{T}`).
      // ForAllValues is true of an absent key, hence the Null guard: a request without a
      // partition key matches nothing. The update may touch only the key and the head's
      // attributes (the key attributes must be listed too), and return only those.
      new iam.PolicyStatement({
        sid: 'LedgerHeadUpdate',
        actions: ['dynamodb:UpdateItem'],
        resources: [tables.ledger.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [LEDGER_HEAD_KEY_PATTERN] },
          Null: { 'dynamodb:LeadingKeys': 'false' },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'seq', ...props.ledgerHeadAttributes] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'BucketObjects',
        actions: BUCKET_OBJECT_ACTIONS,
        resources: props.buckets.map((b) => b.arnForObjects('*')),
      }),
      new iam.PolicyStatement({
        sid: 'BucketList',
        actions: ['s3:ListBucket'],
        resources: props.buckets.map((b) => b.bucketArn),
      }),
      new iam.PolicyStatement({
        sid: 'KeysEncryptDecrypt',
        actions: KMS_USE,
        resources: keyArns,
      }),
    ];

    this.worker = this.role('Worker', `${props.prefix}-worker`, 'revloop worker', props.irsa?.serviceAccounts.worker, props.irsa, [
      ...dataAccess(),
      new iam.PolicyStatement({
        sid: 'BedrockInvoke',
        actions: ['bedrock:InvokeModel'],
        resources: bedrockResources(Stack.of(this), props.bedrockModelIds),
      }),
    ]);

    this.api = this.role('Api', `${props.prefix}-api`, 'revloop API', props.irsa?.serviceAccounts.api, props.irsa, dataAccess());

    this.agentTools = this.role(
      'AgentTools',
      `${props.prefix}-agent-tools`,
      'revloop agent tools (read only)',
      props.irsa?.serviceAccounts.agentTools,
      props.irsa,
      [
        new iam.PolicyStatement({
          sid: 'MainTableRead',
          actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query'],
          resources: [tables.main.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'MainIndexQuery',
          actions: ['dynamodb:Query'],
          resources: [tables.mainIndexArn],
        }),
        new iam.PolicyStatement({
          sid: 'ContentObjectsRead',
          actions: ['s3:GetObject'],
          resources: [props.contentBucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'KeysDecrypt',
          actions: ['kms:Decrypt'],
          resources: keyArns,
        }),
      ],
    );
  }

  private role(
    id: string,
    roleName: string,
    what: string,
    serviceAccount: string | undefined,
    irsa: ResolvedIrsa | undefined,
    statements: iam.PolicyStatement[],
  ): iam.Role {
    const assumedBy: iam.IPrincipal =
      irsa !== undefined && serviceAccount !== undefined
        ? new iam.WebIdentityPrincipal(irsa.providerArn, {
            StringEquals: {
              [`${irsa.issuer}:sub`]: `system:serviceaccount:${irsa.namespace}:${serviceAccount}`,
              [`${irsa.issuer}:aud`]: 'sts.amazonaws.com',
            },
          })
        : new iam.AccountRootPrincipal();
    const trust =
      irsa !== undefined && serviceAccount !== undefined
        ? `service account ${irsa.namespace}/${serviceAccount} (IRSA)`
        : 'the account';
    return new iam.Role(this, id, {
      roleName,
      description: `${what}; trusts ${trust}`,
      assumedBy,
      inlinePolicies: { data: new iam.PolicyDocument({ statements }) },
    });
  }
}

/**
 * `bedrock:InvokeModel` resources: a foundation model in this region, or an inference profile of
 * this account with the foundation models it routes to (in any region of its geography, which
 * the profile picks per request, hence the region wildcard in those ARNs).
 */
export function bedrockResources(stack: Stack, modelIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of modelIds) {
    if (isInferenceProfileId(id)) {
      out.push(stack.formatArn({ service: 'bedrock', resource: 'inference-profile', resourceName: id }));
      const model = id.slice(id.indexOf('.') + 1);
      out.push(`arn:${Aws.PARTITION}:bedrock:*::foundation-model/${model}`);
    } else {
      out.push(`arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${id}`);
    }
  }
  return out;
}
