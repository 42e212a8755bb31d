// The roles against the IAM section of store/src/aws/README.md.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { LEDGER_HEAD_KEY_PATTERN } from '../lib/tables.js';
import {
  actionCovers,
  allStatements,
  asArray,
  CONTRACT_README,
  Json,
  logicalIdWhere,
  mayCover,
  resourcesOfType,
  roleStatements,
  Statement,
  synth,
} from './helpers.js';

const OIDC_ARN = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

const { json } = synth({ tenants: 'acme,globex' });
const ids = {
  main: logicalIdWhere(json, 'AWS::DynamoDB::Table', 'TableName', 'revloop-main'),
  ledger: logicalIdWhere(json, 'AWS::DynamoDB::Table', 'TableName', 'revloop-ledger'),
  content: logicalIdWhere(json, 'AWS::S3::Bucket', 'BucketName', 'revloop-content'),
  ledgerBucket: logicalIdWhere(json, 'AWS::S3::Bucket', 'BucketName', 'revloop-ledger'),
  schemas: logicalIdWhere(json, 'AWS::S3::Bucket', 'BucketName', 'revloop-schemas'),
};
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const objectsOf = (id: string) => ({ 'Fn::Join': ['', [arnOf(id), '/*']] });
const mainIndex = { 'Fn::Join': ['', [arnOf(ids.main), '/index/gsi1']] };
const keyArns = resourcesOfType(json, 'AWS::KMS::Key').map(([id]) => arnOf(id));

/** Every read action the agent tools may have; anything else fails the test. */
const AGENT_TOOLS_READ_ACTIONS = new Set(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 's3:GetObject', 'kms:Decrypt']);
/** Belt and braces: action names that write, whatever the service (and any wildcard). */
const WRITE_LIKE =
  /\*|:(Put|Update|Delete|Write|Create|BatchWrite|TransactWrite|Restore|Import|Tag|Untag|Replicate|Encrypt|ReEncrypt|GenerateDataKey|Sign|Schedule|Disable|Enable|PartiQL(Insert|Update|Delete)|Abort|Restore|Invoke|Attach|Detach|Pass|Set|Modify|Associate|Start|Stop|Execute)/i;

function sortedActions(statements: { Action: string[] }[]): string[] {
  return [...new Set(statements.flatMap((s) => s.Action))].sort();
}

describe('agent tools role', () => {
  const statements = roleStatements(json, 'revloop-agent-tools');

  it('has only read actions from the allow-list, and only Allow statements', () => {
    assert.ok(statements.length > 0);
    for (const s of statements) {
      assert.equal(s.Effect, 'Allow');
      assert.deepEqual(s.NotAction, [], 'no NotAction');
      for (const action of s.Action) {
        assert.ok(AGENT_TOOLS_READ_ACTIONS.has(action), `agent tools: ${action} is not a read action of the allow-list`);
        assert.ok(!WRITE_LIKE.test(action), `agent tools: ${action} looks like a write`);
      }
    }
  });

  it('reads the main table and gsi1, the content bucket, and decrypts with the keys: nothing else', () => {
    const by = (action: string) => statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    assert.deepEqual(by('dynamodb:GetItem'), [arnOf(ids.main)]);
    assert.deepEqual(by('dynamodb:BatchGetItem'), [arnOf(ids.main)]);
    assert.deepEqual(by('dynamodb:Query'), [arnOf(ids.main), mainIndex]);
    assert.deepEqual(by('s3:GetObject'), [objectsOf(ids.content)]);
    assert.deepEqual(by('kms:Decrypt'), keyArns);
  });

  it('the wildcard check itself catches writes', () => {
    for (const bad of ['s3:PutObject', 'dynamodb:UpdateItem', 'kms:GenerateDataKey', 'kms:Encrypt', 'dynamodb:*', '*', 'sqs:DeleteMessage']) {
      assert.ok(!AGENT_TOOLS_READ_ACTIONS.has(bad) && WRITE_LIKE.test(bad), bad);
    }
  });
});

describe('worker and API roles', () => {
  const worker = roleStatements(json, 'revloop-worker');
  const api = roleStatements(json, 'revloop-api');

  it('have exactly the contract data actions; the worker also invokes Bedrock, the API does not', () => {
    const data = [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      's3:GetObject',
      's3:GetObjectVersion',
      's3:ListBucket',
      's3:PutObject',
    ];
    assert.deepEqual(sortedActions(api), data);
    assert.deepEqual(sortedActions(worker), [...data, 'bedrock:InvokeModel'].sort());
    for (const s of [...worker, ...api]) assert.equal(s.Effect, 'Allow');
  });

  it('write the ledger table only by PutItem, and UpdateItem only on head keys and the head attributes', () => {
    for (const statements of [worker, api]) {
      const onLedger = statements.filter((s) => mayCover(s, ids.ledger, 'revloop-ledger') && s.Action.some((a) => a.startsWith('dynamodb:')));
      const unconditioned = onLedger.filter((s) => s.Condition === undefined);
      assert.deepEqual(sortedActions(unconditioned), [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
      ]);
      const update = onLedger.filter((s) => s.Action.includes('dynamodb:UpdateItem'));
      assert.equal(update.length, 1);
      assert.deepEqual(update[0].Action, ['dynamodb:UpdateItem']);
      assert.deepEqual(update[0].Resource, [arnOf(ids.ledger)]);
      assert.equal(update[0].Sid, 'LedgerHeadUpdate');
      assert.deepEqual(update[0].Condition, {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*#HEAD'] },
        Null: { 'dynamodb:LeadingKeys': 'false' },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'seq', 'next_seq', 'head_hash'] },
        StringEqualsIfExists: { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_OLD', 'UPDATED_NEW'] },
      });
    }
  });

  it("the head key pattern matches the contract's head keys and no entry key", () => {
    const contract = fs.readFileSync(CONTRACT_README, 'utf8');
    assert.ok(contract.includes('`pk = T#{T}#HEAD`'), 'the contract puts the head at pk = T#{T}#HEAD');
    assert.ok(contract.includes(`\`${LEDGER_HEAD_KEY_PATTERN}\``), `the contract names ${LEDGER_HEAD_KEY_PATTERN}`);
    for (const head of ['T#acme#HEAD', 'T#acme-co#HEAD', 'T#a.b:c_d#HEAD']) assert.ok(stringLike(LEDGER_HEAD_KEY_PATTERN, head), head);
    for (const entry of ['T#acme', 'T#acme-co', 'T#HEAD', 'T#acme#head', 'T#acme#HEAD#x', 'X#acme#HEAD']) {
      assert.ok(!stringLike(LEDGER_HEAD_KEY_PATTERN, entry), entry);
    }
  });

  it('use the three buckets and all keys, by ARN', () => {
    for (const statements of [worker, api]) {
      const by = (action: string) => statements.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
      const objects = [objectsOf(ids.content), objectsOf(ids.ledgerBucket), objectsOf(ids.schemas)];
      assert.deepEqual(by('s3:PutObject'), objects);
      assert.deepEqual(by('s3:GetObject'), objects);
      assert.deepEqual(by('s3:ListBucket'), [arnOf(ids.content), arnOf(ids.ledgerBucket), arnOf(ids.schemas)]);
      assert.deepEqual(by('kms:GenerateDataKey'), keyArns);
      assert.deepEqual(by('dynamodb:DeleteItem'), [arnOf(ids.main)]);
    }
  });

  it('the worker invokes the default Claude and Titan models in the stack region', () => {
    const invoke = worker.filter((s) => s.Action.includes('bedrock:InvokeModel')).flatMap((s) => s.Resource);
    const text = JSON.stringify(invoke);
    assert.equal(invoke.length, 2);
    assert.ok(text.includes('::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0'));
    assert.ok(text.includes('::foundation-model/amazon.titan-embed-text-v2:0'));
    assert.ok(text.includes('{"Ref":"AWS::Region"}'));
  });

  it('bedrockModelIds: an inference profile id gets the profile and its foundation models', () => {
    const { json: j } = synth({ bedrockModelIds: 'us.anthropic.claude-3-5-sonnet-20241022-v2:0,amazon.titan-embed-text-v2:0' });
    const invoke = JSON.stringify(
      roleStatements(j, 'revloop-worker').filter((s) => s.Action.includes('bedrock:InvokeModel')).flatMap((s) => s.Resource),
    );
    assert.ok(invoke.includes(':inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0'));
    assert.ok(invoke.includes(':bedrock:*::foundation-model/anthropic.claude-3-5-sonnet-20241022-v2:0'));
    assert.ok(invoke.includes('::foundation-model/amazon.titan-embed-text-v2:0'));
  });
});

/** IAM's StringLike: case-sensitive, `*` any run of characters, `?` one character. */
function stringLike(pattern: string, value: string): boolean {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`).test(value);
}

/**
 * Allow statements that could grant UpdateItem on the ledger table (by name, wildcard or
 * NotAction) without both the head-key condition on `dynamodb:LeadingKeys` and its Null guard.
 */
function ledgerUpdatesWithoutHeadCondition(statements: Statement[], ledgerId: string, ledgerName: string): Statement[] {
  return statements.filter((s) => {
    if (s.Effect !== 'Allow' || s.kind === 'key') return false; // key policies only grant kms:* on the key itself
    const covers = s.Action.some((a) => actionCovers(a, 'dynamodb:UpdateItem')) || s.NotAction.length > 0;
    if (!covers || !mayCover(s, ledgerId, ledgerName)) return false;
    const like = s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    const present = s.Condition?.Null?.['dynamodb:LeadingKeys'];
    return !(JSON.stringify(asArray(like)) === JSON.stringify([LEDGER_HEAD_KEY_PATTERN]) && String(present) === 'false');
  });
}

describe('ledger UpdateItem', () => {
  const production = synth({ prefix: 'revloop-prod', tenants: 'acme', oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'revloop' }).json;

  it('no statement of any policy grants it without the head-key LeadingKeys condition', () => {
    for (const [j, name] of [[json, 'revloop-ledger'], [production, 'revloop-prod-ledger']] as const) {
      const ledgerId = logicalIdWhere(j, 'AWS::DynamoDB::Table', 'TableName', name);
      const bad = ledgerUpdatesWithoutHeadCondition(allStatements(j), ledgerId, name);
      assert.deepEqual(bad.map((s) => `${s.owner} ${s.Sid ?? ''}`), [], `${name}: UpdateItem without LeadingKeys ${LEDGER_HEAD_KEY_PATTERN}`);
      // …and the worker and the API do get it, with the condition.
      for (const role of ['worker', 'api']) {
        const prefix = name.slice(0, -'-ledger'.length);
        const update = roleStatements(j, `${prefix}-${role}`).filter(
          (s) => s.Action.includes('dynamodb:UpdateItem') && mayCover(s, ledgerId, name),
        );
        assert.equal(update.length, 1, `${prefix}-${role}`);
      }
    }
  });

  it('the check itself catches an unconditioned, wildcard or half-conditioned grant', () => {
    const ledger = { 'Fn::GetAtt': [ids.ledger, 'Arn'] };
    const base = { kind: 'identity' as const, owner: 'Test', Effect: 'Allow' as const, NotAction: [], NotResource: [], Resource: [ledger] };
    const head = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [LEDGER_HEAD_KEY_PATTERN] } };
    const bad: Statement[] = [
      { ...base, Action: ['dynamodb:UpdateItem'] },
      { ...base, Action: ['dynamodb:*'] },
      { ...base, Action: ['dynamodb:Update*'], Condition: { 'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk'] } } },
      { ...base, Action: ['dynamodb:UpdateItem'], Condition: head },
      { ...base, Action: ['dynamodb:UpdateItem'], Condition: { ...head, Null: { 'dynamodb:LeadingKeys': 'true' } } },
      { ...base, Action: ['dynamodb:UpdateItem'], Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } } },
      { ...base, Action: [], NotAction: ['dynamodb:DeleteItem'] },
      { ...base, Action: ['dynamodb:UpdateItem'], Resource: ['*'] },
    ];
    assert.equal(ledgerUpdatesWithoutHeadCondition(bad, ids.ledger, 'revloop-ledger').length, bad.length);
    const good: Statement[] = [
      { ...base, Action: ['dynamodb:UpdateItem'], Condition: { ...head, Null: { 'dynamodb:LeadingKeys': 'false' } } },
      { ...base, Action: ['dynamodb:PutItem'] },
      { ...base, Action: ['dynamodb:UpdateItem'], Resource: [{ 'Fn::GetAtt': [ids.main, 'Arn'] }] },
      { ...base, Effect: 'Deny', Action: ['dynamodb:UpdateItem'] },
    ];
    assert.deepEqual(ledgerUpdatesWithoutHeadCondition(good, ids.ledger, 'revloop-ledger'), []);
  });
});

describe('no policy anywhere', () => {
  const statements = allStatements(json);
  const allows = statements.filter((s) => s.Effect === 'Allow');

  it('allows deleting ledger items (DeleteItem, BatchWriteItem, PartiQLDelete) on the ledger table', () => {
    for (const s of allows) {
      if (s.kind === 'key') continue; // key policies only grant kms:* on the key itself
      for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete']) {
        const covered = s.Action.some((a) => actionCovers(a, action)) || s.NotAction.length > 0;
        assert.ok(!(covered && mayCover(s, ids.ledger, 'revloop-ledger')), `${s.owner} ${s.Sid ?? ''} allows ${action} on the ledger table`);
      }
    }
  });

  it('allows s3:PutObjectRetention, s3:BypassGovernanceRetention or s3:DeleteObjectVersion', () => {
    for (const s of allows) {
      for (const action of ['s3:PutObjectRetention', 's3:BypassGovernanceRetention', 's3:DeleteObjectVersion']) {
        const covered = s.Action.some((a) => actionCovers(a, action)) || s.NotAction.length > 0;
        assert.ok(!covered, `${s.owner} ${s.Sid ?? ''} allows ${action}`);
      }
    }
  });

  it('of a role uses Resource "*" (only key policies do: there "*" means the key itself)', () => {
    for (const s of statements.filter((x) => x.kind !== 'key')) {
      assert.deepEqual(s.NotResource, [], `${s.owner}: NotResource`);
      for (const r of s.Resource) assert.notEqual(r, '*', `${s.owner} ${s.Sid ?? ''}: Resource "*"`);
    }
    for (const s of statements.filter((x) => x.kind === 'key')) {
      assert.deepEqual(s.Resource, ['*']);
      assert.equal(s.Action.length, 1);
    }
  });

  it('grants an action with a wildcard, except the account root on its own keys (kms:*)', () => {
    for (const s of allows.filter((x) => x.kind !== 'key')) {
      for (const a of s.Action) assert.ok(!a.includes('*'), `${s.owner} ${s.Sid ?? ''}: ${a}`);
    }
    for (const s of allows.filter((x) => x.kind === 'key')) {
      assert.deepEqual(s.Action, ['kms:*']);
      assert.ok(JSON.stringify(s.Principal).includes(':root'), 'key policy principal is the account root');
    }
  });
});

describe('the ledger table resource policy', () => {
  const policy = json.Resources[ids.ledger].Properties.ResourcePolicy.PolicyDocument;
  const statements = asArray<Json>(policy.Statement);

  it('denies every principal item deletes and PartiQL writes', () => {
    const deny = statements.find((s) => s.Sid === 'LedgerItemsAreNeverDeleted');
    assert.equal(deny.Effect, 'Deny');
    assert.deepEqual(deny.Principal, { AWS: '*' });
    assert.deepEqual(asArray(deny.Action).sort(), [
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PartiQLDelete',
      'dynamodb:PartiQLUpdate',
    ]);
    assert.ok(JSON.stringify(deny.Resource).includes(':table/revloop-ledger'));
  });

  it('denies every principal an UpdateItem that touches more than the head attributes', () => {
    const deny = statements.find((s) => s.Sid === 'LedgerUpdatesTouchOnlyTheHead');
    assert.equal(deny.Effect, 'Deny');
    assert.deepEqual(deny.Principal, { AWS: '*' });
    assert.equal(deny.Action, 'dynamodb:UpdateItem');
    assert.deepEqual(deny.Condition, {
      'ForAnyValue:StringNotEquals': { 'dynamodb:Attributes': ['pk', 'seq', 'next_seq', 'head_hash'] },
    });
  });

  it('allows nothing', () => {
    assert.ok(statements.every((s) => s.Effect === 'Deny'));
  });
});

describe('trust', () => {
  const roleNames = ['revloop-worker', 'revloop-api', 'revloop-agent-tools'];
  const trustOf = (j: Json, name: string) => {
    const id = logicalIdWhere(j, 'AWS::IAM::Role', 'RoleName', name);
    return asArray<Json>(j.Resources[id].Properties.AssumeRolePolicyDocument.Statement);
  };

  it('without an OIDC provider, each role trusts the account root only', () => {
    for (const name of roleNames) {
      const trust = trustOf(json, name);
      assert.equal(trust.length, 1, name);
      assert.equal(trust[0].Action, 'sts:AssumeRole');
      assert.ok(JSON.stringify(trust[0].Principal.AWS).includes(':root'), name);
    }
  });

  it('with an OIDC provider, each role trusts its own service account through IRSA only', () => {
    const { json: j } = synth({ oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'revloop' });
    const expected: Record<string, string> = {
      'revloop-worker': 'revloop-worker',
      'revloop-api': 'revloop-api',
      'revloop-agent-tools': 'revloop-agent-tools',
    };
    for (const name of roleNames) {
      const trust = trustOf(j, name);
      assert.equal(trust.length, 1, name);
      assert.equal(trust[0].Action, 'sts:AssumeRoleWithWebIdentity');
      assert.deepEqual(trust[0].Principal, { Federated: OIDC_ARN });
      assert.deepEqual(trust[0].Condition, {
        StringEquals: {
          [`${ISSUER}:sub`]: `system:serviceaccount:revloop:${expected[name]}`,
          [`${ISSUER}:aud`]: 'sts.amazonaws.com',
        },
      });
    }
  });

  it('service account names and the issuer can be given', () => {
    const { json: j } = synth({
      oidcProviderArn: OIDC_ARN,
      oidcProviderIssuer: `https://${ISSUER}`,
      serviceAccountNamespace: 'rl',
      workerServiceAccount: 'w',
      apiServiceAccount: 'a',
      agentToolsServiceAccount: 't',
    });
    assert.equal(trustOf(j, 'revloop-worker')[0].Condition.StringEquals[`${ISSUER}:sub`], 'system:serviceaccount:rl:w');
    assert.equal(trustOf(j, 'revloop-api')[0].Condition.StringEquals[`${ISSUER}:sub`], 'system:serviceaccount:rl:a');
    assert.equal(trustOf(j, 'revloop-agent-tools')[0].Condition.StringEquals[`${ISSUER}:sub`], 'system:serviceaccount:rl:t');
  });
});
