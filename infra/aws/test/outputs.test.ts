// Outputs: one for every setting of the contract's settings table that the stack decides.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { CONTRACT_README, Json, logicalIdWhere, synth } from './helpers.js';

/** The settings the contract marks "required", read from its settings table. */
function requiredSettings(): string[] {
  const text = fs.readFileSync(CONTRACT_README, 'utf8');
  const section = text.slice(text.indexOf('## Settings'), text.indexOf('\n## ', text.indexOf('## Settings') + 1));
  const out: string[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[2].startsWith('required')) continue;
    out.push(...[...cells[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
  }
  return out;
}

const { json } = synth({ tenants: 'acme,globex' });
const outputs = json.Outputs as Record<string, Json>;

describe('outputs', () => {
  it('the contract names at least the five required settings (else this test reads the wrong table)', () => {
    const settings = requiredSettings();
    assert.ok(settings.length >= 5, `found ${settings.join(', ')}`);
    for (const s of ['REVLOOP_AWS_TABLE_PREFIX', 'REVLOOP_S3_CONTENT_BUCKET', 'REVLOOP_KMS_KEY_ID']) assert.ok(settings.includes(s), s);
  });

  it('every required setting of the contract, and AWS_REGION, has an output that names it', () => {
    for (const setting of [...requiredSettings(), 'AWS_REGION']) {
      const named = Object.entries(outputs).filter(([, o]) => String(o.Description).startsWith(`${setting}:`));
      assert.equal(named.length, 1, `one output's description starts with ${setting}:`);
    }
  });

  it('has the fixed set of outputs, with values from the resources', () => {
    const ref = (type: string, prop: string, value: string) => ({ Ref: logicalIdWhere(json, type, prop, value) });
    const arn = (type: string, prop: string, value: string) => ({ 'Fn::GetAtt': [logicalIdWhere(json, type, prop, value), 'Arn'] });
    const deploymentKey = json.Resources[logicalIdWhere(json, 'AWS::KMS::Alias', 'AliasName', 'alias/revloop/deployment')].Properties.TargetKeyId;
    const expected: Record<string, Json> = {
      TablePrefix: 'revloop',
      TableMainName: ref('AWS::DynamoDB::Table', 'TableName', 'revloop-main'),
      TableLedgerName: ref('AWS::DynamoDB::Table', 'TableName', 'revloop-ledger'),
      ContentBucketName: ref('AWS::S3::Bucket', 'BucketName', 'revloop-content'),
      LedgerBucketName: ref('AWS::S3::Bucket', 'BucketName', 'revloop-ledger'),
      SchemaBucketName: ref('AWS::S3::Bucket', 'BucketName', 'revloop-schemas'),
      KmsKeyArn: deploymentKey,
      TenantKeyArnacme: json.Resources[logicalIdWhere(json, 'AWS::KMS::Alias', 'AliasName', 'alias/revloop/tenant/acme')].Properties.TargetKeyId,
      TenantKeyArnglobex: json.Resources[logicalIdWhere(json, 'AWS::KMS::Alias', 'AliasName', 'alias/revloop/tenant/globex')].Properties.TargetKeyId,
      WorkerRoleArn: arn('AWS::IAM::Role', 'RoleName', 'revloop-worker'),
      ApiRoleArn: arn('AWS::IAM::Role', 'RoleName', 'revloop-api'),
      AgentToolsRoleArn: arn('AWS::IAM::Role', 'RoleName', 'revloop-agent-tools'),
      Region: { Ref: 'AWS::Region' },
    };
    assert.deepEqual(Object.keys(outputs).sort(), Object.keys(expected).sort());
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(outputs[name].Value, value, name);
      assert.ok(String(outputs[name].Description).length > 0, `${name} has a description`);
      assert.equal(outputs[name].Export, undefined, `${name} is not exported`);
    }
  });

  it('tenant key outputs name the tenant and its alias', () => {
    assert.ok(outputs.TenantKeyArnacme.Description.includes('alias/revloop/tenant/acme'));
    assert.ok(outputs.TenantKeyArnglobex.Description.includes('storage.kms_key_id'));
  });
});
