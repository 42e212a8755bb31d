import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface RevloopTablesProps {
  readonly prefix: string;
  readonly key: kms.IKey;
  /** Attributes (besides the key) an UpdateItem on the ledger table may name: the head's. */
  readonly ledgerHeadAttributes: readonly string[];
}

export const MAIN_INDEX = 'gsi1';

/**
 * The partition keys of the ledger's chain heads (`pk = T#{T}#HEAD`, `seq = 0`), as an IAM
 * `StringLike` pattern on `dynamodb:LeadingKeys`. Entries are `pk = T#{T}`, which it does not
 * match: tenant ids hold no `#` (domain/src/ids.rs), so no entry key ends in `#HEAD`.
 */
export const LEDGER_HEAD_KEY_PATTERN = 'T#*#HEAD';

/** Item-level actions that delete ledger items or bypass the update check: denied to every principal. */
export const LEDGER_DENIED_ACTIONS = [
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLDelete',
  'dynamodb:PartiQLUpdate',
] as const;

/**
 * `{prefix}-main` (pk/sk, GSI gsi1, TTL expires_at) and `{prefix}-ledger` (pk/seq), both
 * on-demand, with point-in-time recovery, the deployment key, deletion protection and RETAIN.
 */
export class RevloopTables extends Construct {
  readonly main: dynamodb.Table;
  readonly ledger: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RevloopTablesProps) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.key,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    };

    this.main = new dynamodb.Table(this, 'Main', {
      ...common,
      tableName: `${props.prefix}-main`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expires_at',
    });
    this.main.addGlobalSecondaryIndex({
      indexName: MAIN_INDEX,
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    // The ledger's resource policy holds for every principal, the account root and roles this
    // stack does not know included: no item is ever deleted (DeleteItem, BatchWriteItem's
    // deletes, PartiQL), and an UpdateItem may only name the key and the head's attributes, so
    // no entry's content can be rewritten by an update. The roles may update head keys only
    // (`T#*#HEAD`, roles.ts). IAM cannot refuse a PutItem without `attribute_not_exists` (it
    // sees no condition expressions); README.md says what that leaves open.
    const ledgerName = `${props.prefix}-ledger`;
    const ledgerArn = Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: ledgerName });
    const ledgerPolicy = new iam.PolicyDocument({
      statements: [
        new iam.PolicyStatement({
          sid: 'LedgerItemsAreNeverDeleted',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...LEDGER_DENIED_ACTIONS],
          resources: [ledgerArn],
        }),
        new iam.PolicyStatement({
          sid: 'LedgerUpdatesTouchOnlyTheHead',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: ['dynamodb:UpdateItem'],
          resources: [ledgerArn],
          conditions: {
            'ForAnyValue:StringNotEquals': { 'dynamodb:Attributes': ['pk', 'seq', ...props.ledgerHeadAttributes] },
          },
        }),
      ],
    });
    this.ledger = new dynamodb.Table(this, 'Ledger', {
      ...common,
      tableName: ledgerName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'seq', type: dynamodb.AttributeType.NUMBER },
      resourcePolicy: ledgerPolicy,
    });
  }

  /** ARN of the main table's index gsi1. */
  get mainIndexArn(): string {
    return `${this.main.tableArn}/index/${MAIN_INDEX}`;
  }
}
