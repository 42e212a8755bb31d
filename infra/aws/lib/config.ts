/**
 * The stack's settings: props with their defaults, read from CDK context (`-c key=value`) by
 * `configFromContext`, and validated by `resolveConfig` before any resource is built, so a bad
 * value fails the synth with a message instead of a failed deployment.
 */

/** Default Bedrock models the worker may invoke: revloop's decision model and its Titan embeddings. */
export const DEFAULT_BEDROCK_MODEL_IDS: readonly string[] = [
  'anthropic.claude-3-5-sonnet-20241022-v2:0',
  'amazon.titan-embed-text-v2:0',
];

/** Default service account names (the Helm chart's `<fullname>-worker` / `-api` for release `revloop`). */
export const DEFAULT_SERVICE_ACCOUNTS = {
  worker: 'revloop-worker',
  api: 'revloop-api',
  agentTools: 'revloop-agent-tools',
} as const;

/** The ledger head item's attributes besides the key (store/src/aws/README.md: `{next_seq, head_hash}`). */
export const DEFAULT_LEDGER_HEAD_ATTRIBUTES: readonly string[] = ['next_seq', 'head_hash'];

export interface RevloopConfig {
  /** Names every resource: tables `{prefix}-main`/`-ledger`, buckets `{prefix}-content`/`-ledger`/`-schemas`, roles `{prefix}-worker`/`-api`/`-agent-tools`. Default `revloop`. */
  readonly prefix?: string;
  /** Tenant ids that get their own KMS key (`alias/{prefix}/tenant/{tenant}`). Default none. */
  readonly tenants?: readonly string[];
  /** Default COMPLIANCE retention of the ledger bucket, in days. Default 2555 (7 years). */
  readonly ledgerRetentionDays?: number;
  /** Default COMPLIANCE retention of the schema bucket, in days. Default 3650 (10 years). */
  readonly schemaRetentionDays?: number;
  /** ARN of the EKS cluster's IAM OIDC provider. When absent, the roles trust the account. */
  readonly oidcProviderArn?: string;
  /** The provider's issuer without `https://` (default: taken from `oidcProviderArn`). */
  readonly oidcProviderIssuer?: string;
  /** Kubernetes namespace of the service accounts (required with `oidcProviderArn`). */
  readonly serviceAccountNamespace?: string;
  /** Service account of the worker. Default `revloop-worker`. */
  readonly workerServiceAccount?: string;
  /** Service account of the API. Default `revloop-api`. */
  readonly apiServiceAccount?: string;
  /** Service account of the agent tools. Default `revloop-agent-tools`. */
  readonly agentToolsServiceAccount?: string;
  /** Bedrock model (or inference profile) ids the worker may invoke. Default `DEFAULT_BEDROCK_MODEL_IDS`. */
  readonly bedrockModelIds?: readonly string[];
  /** Attributes an UpdateItem on the ledger table may touch besides the key. Default `next_seq`, `head_hash`. */
  readonly ledgerHeadAttributes?: readonly string[];
}

export interface ResolvedIrsa {
  readonly providerArn: string;
  readonly issuer: string;
  readonly namespace: string;
  readonly serviceAccounts: { readonly worker: string; readonly api: string; readonly agentTools: string };
}

export interface ResolvedConfig {
  readonly prefix: string;
  readonly tenants: readonly string[];
  readonly ledgerRetentionDays: number;
  readonly schemaRetentionDays: number;
  readonly irsa?: ResolvedIrsa;
  readonly bedrockModelIds: readonly string[];
  readonly ledgerHeadAttributes: readonly string[];
}

/** The context keys `configFromContext` reads (all optional). */
export const CONTEXT_KEYS = [
  'prefix',
  'tenants',
  'ledgerRetentionDays',
  'schemaRetentionDays',
  'oidcProviderArn',
  'oidcProviderIssuer',
  'serviceAccountNamespace',
  'workerServiceAccount',
  'apiServiceAccount',
  'agentToolsServiceAccount',
  'bedrockModelIds',
] as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(`revloop stack: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Reads the settings from context values (strings from `-c`, or JSON values from cdk.json). */
export function configFromContext(get: (key: string) => unknown): RevloopConfig {
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new ConfigError(`context '${key}' must be a string, got ${JSON.stringify(v)}`);
  };
  const list = (key: string): string[] | undefined => {
    const v = get(key);
    if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter((x) => x !== '');
    const s = str(key);
    return s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x !== '');
  };
  const int = (key: string): number | undefined => {
    const s = str(key);
    if (s === undefined) return undefined;
    if (!/^[0-9]+$/.test(s)) throw new ConfigError(`context '${key}' must be a whole number of days, got '${s}'`);
    return Number(s);
  };
  return {
    prefix: str('prefix'),
    tenants: list('tenants'),
    ledgerRetentionDays: int('ledgerRetentionDays'),
    schemaRetentionDays: int('schemaRetentionDays'),
    oidcProviderArn: str('oidcProviderArn'),
    oidcProviderIssuer: str('oidcProviderIssuer'),
    serviceAccountNamespace: str('serviceAccountNamespace'),
    workerServiceAccount: str('workerServiceAccount'),
    apiServiceAccount: str('apiServiceAccount'),
    agentToolsServiceAccount: str('agentToolsServiceAccount'),
    bedrockModelIds: list('bedrockModelIds'),
  };
}

// The prefix names buckets (3-63 characters, lowercase letters, digits and '-', globally unique)
// and roles (at most 64 characters): `{prefix}-agent-tools` is the longest name, hence 52.
const PREFIX_RE = /^[a-z0-9](?:[a-z0-9-]{0,50}[a-z0-9])?$/;
// revloop's tenant ids (domain/src/ids.rs) are [A-Za-z0-9_.:-]{1,128}; a KMS alias name allows
// letters, digits, '/', '_', '-' and ':' but not '.', so a tenant id with a dot cannot get
// `alias/{prefix}/tenant/{tenant}`.
const TENANT_RE = /^[A-Za-z0-9_:-]{1,128}$/;
// Kubernetes names: a DNS-1123 label for the namespace, a DNS-1123 subdomain for service accounts.
const NAMESPACE_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const SERVICE_ACCOUNT_RE = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;
const OIDC_ARN_RE = /^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider\/(.+)$/;
const ISSUER_RE = /^[A-Za-z0-9.-]+(?::[0-9]+)?(?:\/[A-Za-z0-9._~-]+)*$/;
// Foundation model ids (`anthropic.claude-…:0`) and inference profile ids (`us.anthropic.…`).
const MODEL_ID_RE = /^[a-z0-9-]+(?:\.[A-Za-z0-9._:-]+)+$/;
// Object Lock allows a default retention of up to 100 years.
const MAX_RETENTION_DAYS = 36500;
const ATTRIBUTE_RE = /^[A-Za-z0-9_.-]{1,255}$/;

function retention(name: string, value: number | undefined, dflt: number): number {
  const days = value ?? dflt;
  if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new ConfigError(`${name} must be a whole number of days from 1 to ${MAX_RETENTION_DAYS}, got ${days}`);
  }
  return days;
}

/** Applies the defaults and refuses values that would synthesize an invalid or unsafe stack. */
export function resolveConfig(config: RevloopConfig = {}): ResolvedConfig {
  const prefix = config.prefix ?? 'revloop';
  if (!PREFIX_RE.test(prefix) || prefix.startsWith('xn--') || prefix.startsWith('sthree-') || prefix === 'aws') {
    throw new ConfigError(
      `prefix '${prefix}' must be 1-52 lowercase letters, digits or '-', start and end with a letter or digit ` +
        `(it names S3 buckets and IAM roles), and not start with 'xn--' or 'sthree-'`,
    );
  }

  const tenants = [...(config.tenants ?? [])];
  const seen = new Set<string>();
  const outputIds = new Map<string, string>();
  for (const tenant of tenants) {
    if (!TENANT_RE.test(tenant)) {
      throw new ConfigError(
        `tenant id '${tenant}' cannot name a KMS alias: use 1-128 ASCII letters, digits, '_', '-' or ':' ` +
          `(revloop also allows '.', which KMS alias names do not)`,
      );
    }
    if (seen.has(tenant)) throw new ConfigError(`tenant '${tenant}' is listed twice`);
    seen.add(tenant);
    const id = tenantOutputSuffix(tenant);
    const other = outputIds.get(id);
    if (other !== undefined) {
      throw new ConfigError(`tenants '${other}' and '${tenant}' would share the output name TenantKeyArn${id}`);
    }
    outputIds.set(id, tenant);
  }

  const ledgerRetentionDays = retention('ledgerRetentionDays', config.ledgerRetentionDays, 2555);
  const schemaRetentionDays = retention('schemaRetentionDays', config.schemaRetentionDays, 3650);

  let irsa: ResolvedIrsa | undefined;
  const irsaOnly = [
    'oidcProviderIssuer',
    'serviceAccountNamespace',
    'workerServiceAccount',
    'apiServiceAccount',
    'agentToolsServiceAccount',
  ] as const;
  if (config.oidcProviderArn === undefined) {
    const stray = irsaOnly.filter((k) => config[k] !== undefined);
    if (stray.length > 0) {
      throw new ConfigError(`${stray.join(', ')} given without oidcProviderArn: IRSA needs the OIDC provider's ARN`);
    }
  } else {
    const match = OIDC_ARN_RE.exec(config.oidcProviderArn);
    if (match === null) {
      throw new ConfigError(
        `oidcProviderArn '${config.oidcProviderArn}' is not an IAM OIDC provider ARN ` +
          `(arn:aws:iam::<account>:oidc-provider/<issuer>)`,
      );
    }
    const fromArn = match[1];
    const issuer = (config.oidcProviderIssuer ?? fromArn).replace(/^https:\/\//, '');
    if (!ISSUER_RE.test(issuer)) throw new ConfigError(`oidcProviderIssuer '${issuer}' is not a host and path`);
    if (issuer !== fromArn) {
      throw new ConfigError(`oidcProviderIssuer '${issuer}' is not the issuer of oidcProviderArn ('${fromArn}')`);
    }
    const namespace = config.serviceAccountNamespace;
    if (namespace === undefined) {
      throw new ConfigError('serviceAccountNamespace is required with oidcProviderArn');
    }
    if (!NAMESPACE_RE.test(namespace)) throw new ConfigError(`serviceAccountNamespace '${namespace}' is not a Kubernetes namespace name`);
    const serviceAccounts = {
      worker: config.workerServiceAccount ?? DEFAULT_SERVICE_ACCOUNTS.worker,
      api: config.apiServiceAccount ?? DEFAULT_SERVICE_ACCOUNTS.api,
      agentTools: config.agentToolsServiceAccount ?? DEFAULT_SERVICE_ACCOUNTS.agentTools,
    };
    for (const [role, name] of Object.entries(serviceAccounts)) {
      if (!SERVICE_ACCOUNT_RE.test(name)) throw new ConfigError(`${role} service account '${name}' is not a Kubernetes name`);
    }
    const names = Object.values(serviceAccounts);
    if (new Set(names).size !== names.length) {
      throw new ConfigError('the worker, API and agent tools need three different service accounts (each role trusts one)');
    }
    irsa = { providerArn: config.oidcProviderArn, issuer, namespace, serviceAccounts };
  }

  const bedrockModelIds = [...(config.bedrockModelIds ?? DEFAULT_BEDROCK_MODEL_IDS)];
  if (bedrockModelIds.length === 0) throw new ConfigError('bedrockModelIds must name at least one model');
  for (const id of bedrockModelIds) {
    if (!MODEL_ID_RE.test(id)) throw new ConfigError(`bedrock model id '${id}' is not a model or inference profile id`);
  }
  if (new Set(bedrockModelIds).size !== bedrockModelIds.length) throw new ConfigError('bedrockModelIds lists a model twice');

  const ledgerHeadAttributes = [...(config.ledgerHeadAttributes ?? DEFAULT_LEDGER_HEAD_ATTRIBUTES)];
  for (const a of ledgerHeadAttributes) {
    if (!ATTRIBUTE_RE.test(a) || a === 'pk' || a === 'seq') {
      throw new ConfigError(`ledger head attribute '${a}' is not a non-key attribute name`);
    }
  }

  return { prefix, tenants, ledgerRetentionDays, schemaRetentionDays, irsa, bedrockModelIds, ledgerHeadAttributes };
}

/** The output name suffix of a tenant's key ARN: the id's letters and digits (`TenantKeyArn{suffix}`). */
export function tenantOutputSuffix(tenant: string): string {
  return tenant.replace(/[^A-Za-z0-9]/g, '');
}

/**
 * Inference profile ids start with a geography (`us.`, `eu.`, `apac.`, `global.`, …) before the
 * provider; a foundation model id starts with the provider.
 */
const INFERENCE_PROFILE_GEOS = new Set(['us', 'us-gov', 'eu', 'apac', 'ca', 'jp', 'au', 'global']);
export function isInferenceProfileId(id: string): boolean {
  return INFERENCE_PROFILE_GEOS.has(id.split('.')[0]);
}
