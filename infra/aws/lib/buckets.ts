import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface RevloopBucketsProps {
  readonly prefix: string;
  readonly key: kms.IKey;
  readonly ledgerRetentionDays: number;
  readonly schemaRetentionDays: number;
}

/** Actions on the locked buckets that no principal gets: changing or bypassing a lock, removing a version. */
export const LOCKED_BUCKET_DENIED_ACTIONS = [
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:DeleteObjectVersion',
] as const;

/**
 * `{prefix}-content`, `{prefix}-ledger` (Object Lock) and `{prefix}-schemas` (Object Lock). Every
 * bucket: all four public access blocks, a TLS-only (and TLS >= 1.2) bucket policy, SSE-KMS with
 * the deployment key and bucket keys, versioning, incomplete multipart uploads aborted after 7
 * days, RETAIN.
 */
export class RevloopBuckets extends Construct {
  readonly content: s3.Bucket;
  readonly ledger: s3.Bucket;
  readonly schemas: s3.Bucket;

  constructor(scope: Construct, id: string, props: RevloopBucketsProps) {
    super(scope, id);
    const abortMultipart: s3.LifecycleRule = {
      id: 'abort-incomplete-multipart-uploads',
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    };
    const common = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };

    this.content = new s3.Bucket(this, 'Content', {
      ...common,
      bucketName: `${props.prefix}-content`,
      lifecycleRules: [
        abortMultipart,
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(90) },
      ],
    });

    this.ledger = new s3.Bucket(this, 'Ledger', {
      ...common,
      bucketName: `${props.prefix}-ledger`,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.ledgerRetentionDays)),
      lifecycleRules: [
        abortMultipart,
        {
          id: 'glacier-instant-retrieval-after-90-days',
          transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }],
        },
      ],
    });

    this.schemas = new s3.Bucket(this, 'Schemas', {
      ...common,
      bucketName: `${props.prefix}-schemas`,
      objectLockEnabled: true,
      objectLockDefaultRetention: s3.ObjectLockRetention.compliance(Duration.days(props.schemaRetentionDays)),
      lifecycleRules: [abortMultipart],
    });

    // COMPLIANCE mode already refuses to shorten a lock or delete a locked version; the bucket
    // policy also refuses the attempts outright, for every principal, so that a later GOVERNANCE
    // object or an expired lock is not the only line either.
    for (const bucket of [this.ledger, this.schemas]) {
      bucket.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'LockedVersionsStayLocked',
          effect: iam.Effect.DENY,
          principals: [new iam.AnyPrincipal()],
          actions: [...LOCKED_BUCKET_DENIED_ACTIONS],
          resources: [bucket.arnForObjects('*')],
        }),
      );
    }
  }

  get all(): s3.Bucket[] {
    return [this.content, this.ledger, this.schemas];
  }
}
