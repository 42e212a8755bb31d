// Shared by the tests: synthesize the app as `cdk synth` does (cdk.json's feature flags plus the
// given context), and walk the template's policies.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createStack } from '../lib/app.js';

/** infra/aws (this file runs from dist/test). */
export const PROJECT_DIR = path.resolve(__dirname, '..', '..');

/** The contract: store/src/aws/README.md (REVLOOP_AWS_CONTRACT when the project is copied elsewhere). */
export const CONTRACT_README =
  process.env.REVLOOP_AWS_CONTRACT ?? path.resolve(PROJECT_DIR, '..', '..', 'store', 'src', 'aws', 'README.md');

// Templates are untyped JSON.
export type Json = any;

export function synth(context: Record<string, unknown> = {}): { template: Template; json: Json } {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, 'cdk.json'), 'utf8'));
  const app = new App({ context: { ...cdkJson.context, ...context } });
  const stack = createStack(app, {});
  const template = Template.fromStack(stack);
  return { template, json: template.toJSON() };
}

export function resourcesOfType(json: Json, type: string): [string, Json][] {
  return Object.entries(json.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);
}

export function asArray<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

export interface Statement {
  /** Where it is: `identity` (a role's policy), `resource` (bucket/table), `key` (KMS key policy). */
  readonly kind: 'identity' | 'resource' | 'key';
  /** Logical id of the resource holding the policy. */
  readonly owner: string;
  readonly roleName?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string[];
  readonly NotAction: string[];
  readonly Resource: Json[];
  readonly NotResource: Json[];
  readonly Condition?: Json;
  readonly Principal?: Json;
  readonly Sid?: string;
}

function statementsOf(doc: Json, base: Omit<Statement, 'Effect' | 'Action' | 'NotAction' | 'Resource' | 'NotResource'>): Statement[] {
  return asArray<Json>(doc?.Statement).map((s) => ({
    ...base,
    Effect: s.Effect,
    Action: asArray<string>(s.Action),
    NotAction: asArray<string>(s.NotAction),
    Resource: asArray<Json>(s.Resource),
    NotResource: asArray<Json>(s.NotResource),
    Condition: s.Condition,
    Principal: s.Principal,
    Sid: s.Sid,
  }));
}

/** Every permission statement of the template: role inline policies, IAM policies, bucket, table and key policies. */
export function allStatements(json: Json): Statement[] {
  const out: Statement[] = [];
  for (const [id, r] of Object.entries(json.Resources as Record<string, Json>)) {
    const p = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::IAM::Role':
        for (const pol of asArray<Json>(p.Policies)) {
          out.push(...statementsOf(pol.PolicyDocument, { kind: 'identity', owner: id, roleName: p.RoleName }));
        }
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
        out.push(...statementsOf(p.PolicyDocument, { kind: 'identity', owner: id }));
        break;
      case 'AWS::S3::BucketPolicy':
        out.push(...statementsOf(p.PolicyDocument, { kind: 'resource', owner: id }));
        break;
      case 'AWS::DynamoDB::Table':
        out.push(...statementsOf(p.ResourcePolicy?.PolicyDocument, { kind: 'resource', owner: id }));
        break;
      case 'AWS::KMS::Key':
        out.push(...statementsOf(p.KeyPolicy, { kind: 'key', owner: id }));
        break;
      default:
        break;
    }
  }
  return out;
}

/** Statements of one role's inline policies, found by its RoleName. */
export function roleStatements(json: Json, roleName: string): Statement[] {
  const roles = resourcesOfType(json, 'AWS::IAM::Role').filter(([, r]) => r.Properties.RoleName === roleName);
  if (roles.length !== 1) throw new Error(`expected one role named ${roleName}, found ${roles.length}`);
  const [id] = roles[0];
  // Policies attached separately (AWS::IAM::Policy) count too.
  const attached = resourcesOfType(json, 'AWS::IAM::Policy').filter(([, r]) =>
    asArray<Json>(r.Properties.Roles).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: id })),
  );
  return [
    ...allStatements(json).filter((s) => s.owner === id && s.kind === 'identity'),
    ...attached.flatMap(([pid]) => allStatements(json).filter((s) => s.owner === pid)),
  ];
}

/** Does an IAM action pattern (`s3:Put*`, `*`, `dynamodb:deleteitem`) cover the action? */
export function actionCovers(pattern: string, action: string): boolean {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i').test(action);
}

/** Could this statement's resources include that resource (a reference to it, its name, or any wildcard: conservative)? */
export function mayCover(statement: Statement, logicalId: string, physicalName: string): boolean {
  if (statement.NotResource.length > 0) return true;
  return statement.Resource.some((r) => {
    const text = JSON.stringify(r);
    return text.includes(`"${logicalId}"`) || text.includes(physicalName) || text.includes('*');
  });
}

/** The logical id of the one resource of a type with this property value. */
export function logicalIdWhere(json: Json, type: string, prop: string, value: string): string {
  const found = resourcesOfType(json, type).filter(([, r]) => r.Properties?.[prop] === value);
  if (found.length !== 1) throw new Error(`expected one ${type} with ${prop}=${value}, found ${found.length}`);
  return found[0][0];
}
