// Buckets, tables and keys against store/src/aws/README.md.
import { Match } from 'aws-cdk-lib/assertions';
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { asArray, CONTRACT_README, Json, logicalIdWhere, resourcesOfType, synth } from './helpers.js';

const { template, json } = synth({ tenants: 'acme,globex' });
const deploymentKeyId = logicalIdWhere(json, 'AWS::KMS::Alias', 'AliasName', 'alias/revloop/deployment');
const deploymentKey = json.Resources[deploymentKeyId].Properties.TargetKeyId['Fn::GetAtt'][0];

function bucketNamed(j: Json, name: string): [string, Json] {
  const id = logicalIdWhere(j, 'AWS::S3::Bucket', 'BucketName', name);
  return [id, j.Resources[id]];
}

describe('S3 buckets', () => {
  const buckets = resourcesOfType(json, 'AWS::S3::Bucket');

  it('are exactly content, ledger and schemas', () => {
    assert.deepEqual(buckets.map(([, b]) => b.Properties.BucketName).sort(), ['revloop-content', 'revloop-ledger', 'revloop-schemas']);
  });

  it('all use SSE-KMS with the deployment key and bucket keys', () => {
    for (const [id, b] of buckets) {
      const rules = b.Properties.BucketEncryption?.ServerSideEncryptionConfiguration;
      assert.equal(rules?.length, 1, id);
      assert.equal(rules[0].BucketKeyEnabled, true, id);
      assert.equal(rules[0].ServerSideEncryptionByDefault.SSEAlgorithm, 'aws:kms', id);
      assert.deepEqual(rules[0].ServerSideEncryptionByDefault.KMSMasterKeyID, { 'Fn::GetAtt': [deploymentKey, 'Arn'] }, id);
    }
  });

  it('all block public access on all four settings', () => {
    for (const [id, b] of buckets) {
      assert.deepEqual(
        b.Properties.PublicAccessBlockConfiguration,
        { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        id,
      );
    }
  });

  it('all have a bucket policy denying requests without TLS, on the bucket and its objects', () => {
    for (const [id] of buckets) {
      const policies = resourcesOfType(json, 'AWS::S3::BucketPolicy').filter(
        ([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id }),
      );
      assert.equal(policies.length, 1, `${id} has one bucket policy`);
      const deny = asArray<Json>(policies[0][1].Properties.PolicyDocument.Statement).find(
        (s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      );
      assert.ok(deny, `${id} denies aws:SecureTransport=false`);
      assert.equal(deny.Action, 's3:*');
      assert.deepEqual(deny.Principal, { AWS: '*' });
      const resources = JSON.stringify(deny.Resource);
      assert.ok(resources.includes(`{"Fn::GetAtt":["${id}","Arn"]}`) && resources.includes('"/*"'), `${id}: bucket and objects`);
    }
  });

  it('are all versioned, abort incomplete multipart uploads after 7 days, and are retained', () => {
    for (const [id, b] of buckets) {
      assert.deepEqual(b.Properties.VersioningConfiguration, { Status: 'Enabled' }, id);
      const abort = b.Properties.LifecycleConfiguration.Rules.filter((r: Json) => r.AbortIncompleteMultipartUpload);
      assert.equal(abort.length, 1, id);
      assert.equal(abort[0].AbortIncompleteMultipartUpload.DaysAfterInitiation, 7, id);
      assert.equal(abort[0].Status, 'Enabled', id);
      assert.equal(b.DeletionPolicy, 'Retain', id);
      assert.equal(b.UpdateReplacePolicy, 'Retain', id);
    }
  });

  it('ledger and schemas: Object Lock with default retention COMPLIANCE for the default days', () => {
    for (const [name, days] of [['revloop-ledger', 2555], ['revloop-schemas', 3650]] as const) {
      const [, b] = bucketNamed(json, name);
      assert.equal(b.Properties.ObjectLockEnabled, true, name);
      assert.deepEqual(b.Properties.ObjectLockConfiguration, {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: days } },
      });
    }
  });

  it('ledger and schemas: the configured retention days', () => {
    const { json: custom } = synth({ ledgerRetentionDays: '400', schemaRetentionDays: '500' });
    assert.deepEqual(bucketNamed(custom, 'revloop-ledger')[1].Properties.ObjectLockConfiguration.Rule.DefaultRetention, {
      Mode: 'COMPLIANCE',
      Days: 400,
    });
    assert.deepEqual(bucketNamed(custom, 'revloop-schemas')[1].Properties.ObjectLockConfiguration.Rule.DefaultRetention, {
      Mode: 'COMPLIANCE',
      Days: 500,
    });
  });

  it('content: no Object Lock, noncurrent versions expire after 90 days', () => {
    const [, b] = bucketNamed(json, 'revloop-content');
    assert.equal(b.Properties.ObjectLockEnabled, undefined);
    assert.equal(b.Properties.ObjectLockConfiguration, undefined);
    const rule = b.Properties.LifecycleConfiguration.Rules.find((r: Json) => r.NoncurrentVersionExpiration);
    assert.deepEqual(rule.NoncurrentVersionExpiration, { NoncurrentDays: 90 });
  });

  it('ledger: to Glacier Instant Retrieval after 90 days', () => {
    const [, b] = bucketNamed(json, 'revloop-ledger');
    const rule = b.Properties.LifecycleConfiguration.Rules.find((r: Json) => r.Transitions);
    assert.deepEqual(rule.Transitions, [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }]);
  });

  it('ledger and schemas: the bucket policy denies changing a lock or deleting a version to everyone', () => {
    for (const name of ['revloop-ledger', 'revloop-schemas']) {
      const [id] = bucketNamed(json, name);
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: Match.arrayWith(['s3:BypassGovernanceRetention', 's3:DeleteObjectVersion', 's3:PutObjectRetention']),
            }),
          ]),
        },
      });
    }
  });
});

describe('DynamoDB tables', () => {
  const tables = resourcesOfType(json, 'AWS::DynamoDB::Table');

  it('are exactly main and ledger, as AWS::DynamoDB::Table', () => {
    assert.deepEqual(tables.map(([, t]) => t.Properties.TableName).sort(), ['revloop-ledger', 'revloop-main']);
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('all: PAY_PER_REQUEST, PITR, SSE with the deployment key, deletion protection, retained', () => {
    for (const [id, t] of tables) {
      assert.equal(t.Properties.BillingMode, 'PAY_PER_REQUEST', id);
      assert.equal(t.Properties.ProvisionedThroughput, undefined, id);
      assert.deepEqual(t.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true }, id);
      assert.deepEqual(
        t.Properties.SSESpecification,
        { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [deploymentKey, 'Arn'] } },
        id,
      );
      assert.equal(t.Properties.DeletionProtectionEnabled, true, id);
      assert.equal(t.DeletionPolicy, 'Retain', id);
      assert.equal(t.UpdateReplacePolicy, 'Retain', id);
    }
  });

  it('main: pk/sk strings, gsi1 (gsi1pk/gsi1sk, ALL), TTL expires_at', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'revloop-main',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
    });
  });

  it('ledger: pk string, seq number, no index, no TTL', () => {
    const id = logicalIdWhere(json, 'AWS::DynamoDB::Table', 'TableName', 'revloop-ledger');
    const p = json.Resources[id].Properties;
    assert.deepEqual(p.KeySchema, [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'seq', KeyType: 'RANGE' },
    ]);
    assert.deepEqual(p.AttributeDefinitions, [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'seq', AttributeType: 'N' },
    ]);
    assert.equal(p.GlobalSecondaryIndexes, undefined);
    assert.equal(p.TimeToLiveSpecification, undefined);
  });
});

describe('KMS keys', () => {
  it('the deployment key and one per tenant, all rotating, retained', () => {
    const keys = resourcesOfType(json, 'AWS::KMS::Key');
    assert.equal(keys.length, 3);
    for (const [id, k] of keys) {
      assert.equal(k.Properties.EnableKeyRotation, true, id);
      assert.equal(k.DeletionPolicy, 'Retain', id);
      assert.equal(k.UpdateReplacePolicy, 'Retain', id);
    }
  });

  it("the aliases are the contract's: alias/{prefix}/deployment and alias/{prefix}/tenant/{tenant}", () => {
    const contract = fs.readFileSync(CONTRACT_README, 'utf8');
    const keys = contract.slice(contract.indexOf('## Keys'), contract.indexOf('\n## ', contract.indexOf('## Keys') + 1));
    assert.ok(keys.includes('`alias/{prefix}/deployment`'), "the contract's Keys section names the deployment alias");
    assert.ok(keys.includes('`alias/{prefix}/tenant/{tenant id}`'), "the contract's Keys section names the tenant aliases");
    assert.equal(json.Resources[deploymentKey].Type, 'AWS::KMS::Key');
  });

  it('each tenant key has alias/{prefix}/tenant/{tenant}', () => {
    for (const tenant of ['acme', 'globex']) {
      const alias = logicalIdWhere(json, 'AWS::KMS::Alias', 'AliasName', `alias/revloop/tenant/${tenant}`);
      const target = json.Resources[alias].Properties.TargetKeyId['Fn::GetAtt'][0];
      assert.notEqual(target, deploymentKey);
      assert.equal(json.Resources[target].Type, 'AWS::KMS::Key');
    }
  });

  it('tenants=acme: exactly one tenant key', () => {
    const { json: one } = synth({ tenants: 'acme' });
    assert.equal(resourcesOfType(one, 'AWS::KMS::Key').length, 2);
    assert.deepEqual(
      resourcesOfType(one, 'AWS::KMS::Alias').map(([, a]) => a.Properties.AliasName).sort(),
      ['alias/revloop/deployment', 'alias/revloop/tenant/acme'],
    );
  });

  it('no tenants: only the deployment key', () => {
    const { json: none } = synth();
    assert.equal(resourcesOfType(none, 'AWS::KMS::Key').length, 1);
  });

  it('the prefix names every table, bucket, role and alias', () => {
    const { json: prod } = synth({ prefix: 'revloop-prod', tenants: 'acme' });
    const names = [
      ...resourcesOfType(prod, 'AWS::DynamoDB::Table').map(([, r]) => r.Properties.TableName),
      ...resourcesOfType(prod, 'AWS::S3::Bucket').map(([, r]) => r.Properties.BucketName),
      ...resourcesOfType(prod, 'AWS::IAM::Role').map(([, r]) => r.Properties.RoleName),
    ];
    assert.deepEqual(names.sort(), [
      'revloop-prod-agent-tools',
      'revloop-prod-api',
      'revloop-prod-content',
      'revloop-prod-ledger',
      'revloop-prod-ledger',
      'revloop-prod-main',
      'revloop-prod-schemas',
      'revloop-prod-worker',
    ]);
    assert.deepEqual(
      resourcesOfType(prod, 'AWS::KMS::Alias').map(([, a]) => a.Properties.AliasName).sort(),
      ['alias/revloop-prod/deployment', 'alias/revloop-prod/tenant/acme'],
    );
  });
});
