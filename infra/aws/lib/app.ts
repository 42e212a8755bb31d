import { App } from 'aws-cdk-lib';
import { configFromContext } from './config.js';
import { RevloopStack } from './revloop-stack.js';

/** The construct id of the stack: its template is `cdk.out/Revloop.template.json`. */
export const STACK_ID = 'Revloop';

/**
 * Builds the app's one stack from context (`-c prefix=… -c tenants=a,b …`, README.md). Shared by
 * bin/revloop.ts and the tests, so that the tests check what `cdk synth` deploys. The stack is
 * named after the prefix unless `-c stackName=…` says otherwise. It is environment-agnostic
 * (`AWS::Region`, `AWS::AccountId` resolve at deploy time) unless the CLI knows both the account
 * and the region.
 */
export function createStack(app: App, env: NodeJS.ProcessEnv = process.env): RevloopStack {
  const config = configFromContext((key) => app.node.tryGetContext(key));
  const prefix = config.prefix ?? 'revloop';
  const stackName = String(app.node.tryGetContext('stackName') ?? prefix);
  return new RevloopStack(app, STACK_ID, {
    ...config,
    stackName,
    description: `revloop ${prefix}: DynamoDB tables, S3 buckets, KMS keys and IAM roles of the aws store`,
    env:
      env.CDK_DEFAULT_ACCOUNT && env.CDK_DEFAULT_REGION
        ? { account: env.CDK_DEFAULT_ACCOUNT, region: env.CDK_DEFAULT_REGION }
        : undefined,
  });
}
