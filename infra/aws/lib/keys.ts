import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface RevloopKeysProps {
  readonly prefix: string;
  readonly tenants: readonly string[];
}

/**
 * The deployment key (tables, bucket defaults, tenants without a key of their own) and one key
 * per tenant, all symmetric, with yearly rotation, retained when the stack goes away. Their key
 * policies are CDK's default: the account (root) gets `kms:*`, so that IAM policies (the roles
 * in roles.ts) decide who may use them. A key policy's `Resource` is always `*`: it means the key
 * the policy is attached to.
 */
export class RevloopKeys extends Construct {
  readonly deploymentKey: kms.Key;
  /** Tenant id → its key, in the order the tenants were given. */
  readonly tenantKeys: ReadonlyMap<string, kms.Key>;

  constructor(scope: Construct, id: string, props: RevloopKeysProps) {
    super(scope, id);
    const common = {
      enableKeyRotation: true,
      keySpec: kms.KeySpec.SYMMETRIC_DEFAULT,
      keyUsage: kms.KeyUsage.ENCRYPT_DECRYPT,
      removalPolicy: RemovalPolicy.RETAIN,
      // Only used if someone schedules the key's deletion by hand: the longest window.
      pendingWindow: Duration.days(30),
    };
    this.deploymentKey = new kms.Key(this, 'Deployment', {
      ...common,
      description: `revloop ${props.prefix}: deployment key (DynamoDB tables, S3 bucket defaults, tenants without a key of their own)`,
      alias: `alias/${props.prefix}/deployment`,
    });
    const tenantKeys = new Map<string, kms.Key>();
    for (const tenant of props.tenants) {
      tenantKeys.set(
        tenant,
        new kms.Key(this, `Tenant-${tenant}`, {
          ...common,
          description: `revloop ${props.prefix}: key of tenant ${tenant} (its S3 objects)`,
          alias: tenantAlias(props.prefix, tenant),
        }),
      );
    }
    this.tenantKeys = tenantKeys;
  }

  /** Every key of the deployment: the deployment key first, then the tenants'. */
  get allKeys(): kms.Key[] {
    return [this.deploymentKey, ...this.tenantKeys.values()];
  }
}

export function tenantAlias(prefix: string, tenant: string): string {
  return `alias/${prefix}/tenant/${tenant}`;
}
