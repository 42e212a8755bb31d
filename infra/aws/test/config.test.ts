// Settings: defaults, context parsing, and the values the stack refuses.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { configFromContext, ConfigError, resolveConfig, RevloopConfig } from '../lib/config.js';
import { synth } from './helpers.js';

const OIDC_ARN = 'arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC';

function refuses(config: RevloopConfig, pattern: RegExp) {
  assert.throws(() => resolveConfig(config), (err: unknown) => err instanceof ConfigError && pattern.test(err.message));
}

describe('config', () => {
  it('defaults', () => {
    const c = resolveConfig();
    assert.equal(c.prefix, 'revloop');
    assert.deepEqual(c.tenants, []);
    assert.equal(c.ledgerRetentionDays, 2555);
    assert.equal(c.schemaRetentionDays, 3650);
    assert.equal(c.irsa, undefined);
    assert.deepEqual(c.bedrockModelIds, ['anthropic.claude-3-5-sonnet-20241022-v2:0', 'amazon.titan-embed-text-v2:0']);
  });

  it('reads context strings: comma lists, whole numbers', () => {
    const ctx: Record<string, string> = {
      prefix: 'rl',
      tenants: ' acme, globex ,',
      ledgerRetentionDays: '30',
      bedrockModelIds: 'amazon.titan-embed-text-v2:0',
    };
    const c = resolveConfig(configFromContext((k) => ctx[k]));
    assert.equal(c.prefix, 'rl');
    assert.deepEqual(c.tenants, ['acme', 'globex']);
    assert.equal(c.ledgerRetentionDays, 30);
    assert.deepEqual(c.bedrockModelIds, ['amazon.titan-embed-text-v2:0']);
  });

  it('refuses retention days that are not whole numbers in range', () => {
    assert.throws(() => configFromContext((k) => (k === 'ledgerRetentionDays' ? '7y' : undefined)), ConfigError);
    assert.throws(() => configFromContext((k) => (k === 'schemaRetentionDays' ? '-1' : undefined)), ConfigError);
    refuses({ ledgerRetentionDays: 0 }, /ledgerRetentionDays/);
    refuses({ schemaRetentionDays: 36501 }, /schemaRetentionDays/);
    refuses({ ledgerRetentionDays: 1.5 }, /ledgerRetentionDays/);
  });

  it('refuses prefixes that cannot name a bucket or a role', () => {
    for (const prefix of ['Revloop', 'rev_loop', '-revloop', 'revloop-', 'a'.repeat(53), 'xn--abc', 'rev.loop', '']) {
      refuses({ prefix }, /prefix/);
    }
    assert.equal(resolveConfig({ prefix: 'a'.repeat(52) }).prefix.length, 52);
  });

  it('refuses tenant ids that cannot name a KMS alias, and duplicates', () => {
    refuses({ tenants: ['acme.eu'] }, /cannot name a KMS alias/);
    refuses({ tenants: ['acme/eu'] }, /cannot name a KMS alias/);
    refuses({ tenants: ['a'.repeat(129)] }, /cannot name a KMS alias/);
    refuses({ tenants: ['acme', 'acme'] }, /twice/);
    refuses({ tenants: ['ac-me', 'acme'] }, /share the output name/);
    assert.deepEqual(resolveConfig({ tenants: ['acme:eu', 'acme_us'] }).tenants, ['acme:eu', 'acme_us']);
  });

  it('IRSA: needs a namespace, a valid provider ARN, and a matching issuer', () => {
    refuses({ oidcProviderArn: OIDC_ARN }, /serviceAccountNamespace is required/);
    refuses({ serviceAccountNamespace: 'revloop' }, /without oidcProviderArn/);
    refuses({ workerServiceAccount: 'w' }, /without oidcProviderArn/);
    refuses({ oidcProviderArn: 'arn:aws:iam::123456789012:role/x', serviceAccountNamespace: 'revloop' }, /not an IAM OIDC provider ARN/);
    refuses({ oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'revloop', oidcProviderIssuer: 'oidc.example.com/id/X' }, /not the issuer/);
    refuses({ oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'Rev_loop' }, /namespace/);
    refuses({ oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'revloop', workerServiceAccount: 'x', apiServiceAccount: 'x' }, /three different/);
    const c = resolveConfig({ oidcProviderArn: OIDC_ARN, serviceAccountNamespace: 'revloop', oidcProviderIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' });
    assert.equal(c.irsa?.issuer, 'oidc.eks.eu-west-1.amazonaws.com/id/ABC');
    assert.deepEqual(c.irsa?.serviceAccounts, { worker: 'revloop-worker', api: 'revloop-api', agentTools: 'revloop-agent-tools' });
  });

  it('refuses model ids that are not model or profile ids', () => {
    refuses({ bedrockModelIds: [] }, /at least one/);
    refuses({ bedrockModelIds: ['*'] }, /not a model/);
    refuses({ bedrockModelIds: ['anthropic.*'] }, /not a model/);
  });

  it('a refused context value fails the synth', () => {
    assert.throws(() => synth({ tenants: 'acme,acme.eu' }), ConfigError);
    assert.throws(() => synth({ oidcProviderArn: OIDC_ARN }), ConfigError);
  });
});
