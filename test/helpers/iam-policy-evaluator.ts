/**
 * A small evaluator of IAM policy statements, for the operators our bucket and identity policies use, so tests can
 * ask "is this exact request allowed?" of a synthesized template. It follows the IAM evaluation rules that matter
 * here (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
 * - a key missing from the request makes a positive operator false and a negated one (StringNotEquals, ArnNotLike…)
 *   true; `…IfExists` is true when the key is missing; `Null` tests presence only;
 * - operators, and keys within an operator, are ANDed; values of one key are ORed (NOR for negated operators);
 * - an explicit Deny wins over any Allow; no matching Allow is an implicit deny.
 * It is not a full IAM implementation: no policy variables, no date, IP or binary operators.
 */

export type ContextValue = string | number | boolean | readonly string[];

export interface Request {
  /** `AWS` principals are ARNs (a role's ARN); `Service` principals are service names (cloudtrail.amazonaws.com). */
  readonly principal: { readonly AWS: string } | { readonly Service: string };
  readonly action: string;
  readonly resource: string;
  /** Condition keys present in the request (names are case-insensitive, as in IAM). */
  readonly context: Readonly<Record<string, ContextValue>>;
}

export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface Evaluation {
  readonly decision: Decision;
  /** Sids (or indexes) of the statements that applied, Deny and Allow. */
  readonly denies: readonly string[];
  readonly allows: readonly string[];
}

const list = <T>(v: T | readonly T[] | undefined): readonly T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v as T]);

/** IAM wildcards: `*` any run of characters, `?` one character; everything else literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function principalMatches(principal: unknown, request: Request): boolean {
  if (principal === '*') return true;
  if (typeof principal !== 'object' || principal === null) throw new Error(`unsupported Principal ${JSON.stringify(principal)}`);
  const p = principal as Record<string, unknown>;
  if ('AWS' in request.principal) {
    const arn = request.principal.AWS;
    const account = arn.split(':')[4];
    return list(p.AWS as string | string[]).some((a) => a === '*' || a === arn || a === account || a === `arn:aws:iam::${account}:root`);
  }
  const service = request.principal.Service;
  return list(p.Service as string | string[]).some((s) => s === service);
}

function actionMatches(patterns: readonly string[], action: string): boolean {
  return patterns.some((p) => wildcardMatch(p, action, true));
}

function resourceMatches(patterns: readonly string[], resource: string): boolean {
  return patterns.some((p) => wildcardMatch(p, resource));
}

/** The request's values for `key`, or undefined when the key is not in the request. */
function lookup(context: Request['context'], key: string): readonly string[] | undefined {
  const found = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
  if (found === undefined) return undefined;
  const v = context[found]!;
  return Array.isArray(v) ? v : [String(v)];
}

type Compare = (policyValue: string, requestValue: string) => boolean;

const BASE: Readonly<Record<string, { readonly compare: Compare; readonly negated: boolean }>> = {
  StringEquals: { compare: (p, r) => p === r, negated: false },
  StringNotEquals: { compare: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (p, r) => wildcardMatch(p, r), negated: false },
  StringNotLike: { compare: (p, r) => wildcardMatch(p, r), negated: true },
  ArnEquals: { compare: (p, r) => wildcardMatch(p, r), negated: false },
  ArnLike: { compare: (p, r) => wildcardMatch(p, r), negated: false },
  ArnNotEquals: { compare: (p, r) => wildcardMatch(p, r), negated: true },
  ArnNotLike: { compare: (p, r) => wildcardMatch(p, r), negated: true },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  NumericEquals: { compare: (p, r) => Number(r) === Number(p), negated: false },
  NumericNotEquals: { compare: (p, r) => Number(r) === Number(p), negated: true },
  NumericLessThan: { compare: (p, r) => Number(r) < Number(p), negated: false },
  NumericLessThanEquals: { compare: (p, r) => Number(r) <= Number(p), negated: false },
  NumericGreaterThan: { compare: (p, r) => Number(r) > Number(p), negated: false },
  NumericGreaterThanEquals: { compare: (p, r) => Number(r) >= Number(p), negated: false },
};

/** Whether one operator's block (`{ key: value(s) }`) holds for the request. */
export function operatorHolds(operator: string, block: Readonly<Record<string, unknown>>, context: Request['context']): boolean {
  return Object.entries(block).every(([key, raw]) => {
    const values = list(raw as unknown).map((v) => {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new Error(`condition ${operator} ${key} has an unresolved value ${JSON.stringify(v)}: resolve the template first`);
      }
      return String(v);
    });
    const present = lookup(context, key);
    if (operator === 'Null') {
      // "true": the key must be absent; "false": it must be present.
      return values.some((v) => (v.toLowerCase() === 'true') === (present === undefined));
    }
    const [qualifier, name] = operator.includes(':') ? operator.split(':', 2) as [string, string] : [undefined, operator];
    const ifExists = name.endsWith('IfExists');
    const base = BASE[ifExists ? name.slice(0, -'IfExists'.length) : name];
    if (base === undefined || (qualifier !== undefined && !['ForAnyValue', 'ForAllValues'].includes(qualifier))) {
      throw new Error(`condition operator ${operator} is not supported by this evaluator`);
    }
    // One request value against the policy's values: any of them (none of them when negated).
    const holdsFor = (r: string) => values.some((p) => base.compare(p, r)) !== base.negated;
    // Set qualifiers (reference_policies_condition-single-vs-multi-valued-context-keys): ForAllValues holds for a
    // missing or empty key, ForAnyValue does not.
    if (qualifier === 'ForAllValues') return present === undefined || present.every(holdsFor);
    if (qualifier === 'ForAnyValue') return present !== undefined && present.some(holdsFor);
    if (present === undefined) return ifExists || base.negated;
    const matched = present.some((r) => values.some((p) => base.compare(p, r)));
    return base.negated ? !matched : matched;
  });
}

export function conditionHolds(condition: Statement['Condition'], context: Request['context']): boolean {
  return Object.entries(condition ?? {}).every(([operator, block]) => operatorHolds(operator, block, context));
}

/** Whether a statement applies to the request. `Principal` is checked only for resource policies (when present). */
export function statementApplies(statement: Statement, request: Request): boolean {
  if (statement.Principal !== undefined && !principalMatches(statement.Principal, request)) return false;
  if (statement.NotPrincipal !== undefined && principalMatches(statement.NotPrincipal, request)) return false;
  if (statement.Action !== undefined && !actionMatches(list(statement.Action), request.action)) return false;
  if (statement.NotAction !== undefined && actionMatches(list(statement.NotAction), request.action)) return false;
  if (statement.Resource !== undefined && !resourceMatches(list(statement.Resource), request.resource)) return false;
  if (statement.NotResource !== undefined && resourceMatches(list(statement.NotResource), request.resource)) return false;
  return conditionHolds(statement.Condition, request.context);
}

/** Evaluates statements from any number of policies together (same account: an Allow in any of them suffices). */
export function evaluate(statements: readonly Statement[], request: Request): Evaluation {
  const denies: string[] = [];
  const allows: string[] = [];
  statements.forEach((s, i) => {
    if (!statementApplies(s, request)) return;
    (s.Effect === 'Deny' ? denies : allows).push(s.Sid ?? `#${i}`);
  });
  const decision: Decision = denies.length > 0 ? 'ExplicitDeny' : allows.length > 0 ? 'Allow' : 'ImplicitDeny';
  return { decision, denies, allows };
}

// ---------------------------------------------------------------------------------------------------------------
// Resolving a synthesized template's tokens to stable fake values

export const FAKE_ACCOUNT = '111122223333';
export const FAKE_REGION = 'eu-west-1';

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}
export type Resources = Readonly<Record<string, TemplateResource>>;

/** A stable physical name for a logical id (lower case, as bucket names must be). */
export const fakeName = (logicalId: string): string => logicalId.toLowerCase();

/** The fake ARN a resource's `Arn` attribute resolves to. */
export function fakeArn(logicalId: string, resource: TemplateResource): string {
  switch (resource.Type) {
    case 'AWS::KMS::Key': return `arn:aws:kms:${FAKE_REGION}:${FAKE_ACCOUNT}:key/${logicalId}`;
    case 'AWS::S3::Bucket': return `arn:aws:s3:::${fakeName(logicalId)}`;
    case 'AWS::IAM::Role': return `arn:aws:iam::${FAKE_ACCOUNT}:role/${logicalId}`;
    case 'AWS::Lambda::Function': return `arn:aws:lambda:${FAKE_REGION}:${FAKE_ACCOUNT}:function:${logicalId}`;
    default: {
      const [, service, type] = resource.Type.split('::');
      return `arn:aws:${service!.toLowerCase()}:${FAKE_REGION}:${FAKE_ACCOUNT}:${type!.toLowerCase()}/${logicalId}`;
    }
  }
}

const PSEUDO: Readonly<Record<string, string>> = {
  'AWS::AccountId': FAKE_ACCOUNT,
  'AWS::Region': FAKE_REGION,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'TestStack',
};

/** Replaces Ref, Fn::GetAtt (Arn), Fn::Join, Fn::Select and Fn::Split with stable fake values. */
export function resolveTokens(value: unknown, resources: Resources): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveTokens(v, resources));
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [fn] = keys as [string];
    const arg = obj[fn];
    if (fn === 'Ref') {
      const name = arg as string;
      if (PSEUDO[name] !== undefined) return PSEUDO[name];
      const resource = resources[name];
      if (resource === undefined) throw new Error(`Ref to unknown ${name}`);
      if (resource.Type === 'AWS::KMS::Key') return name;
      return resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::S3::Bucket' ? fakeName(name) : fakeArn(name, resource);
    }
    if (fn === 'Fn::GetAtt') {
      const [id, attribute] = arg as [string, string];
      const resource = resources[id];
      if (resource === undefined) throw new Error(`Fn::GetAtt of unknown ${id}`);
      if (attribute === 'Arn') return fakeArn(id, resource);
      return `${fakeName(id)}-${attribute.toLowerCase()}`;
    }
    if (fn === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolveTokens(parts, resources) as unknown[]).map(String).join(sep);
    }
    if (fn === 'Fn::Split') {
      const [sep, source] = arg as [string, unknown];
      return String(resolveTokens(source, resources)).split(sep);
    }
    if (fn === 'Fn::Select') {
      const [index, source] = arg as [number | string, unknown];
      return (resolveTokens(source, resources) as unknown[])[Number(index)];
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveTokens(obj[k], resources)]));
}

/** The statements of the bucket policy attached to the bucket with this logical id, resolved. */
export function bucketPolicyStatements(resources: Resources, bucketLogicalId: string): Statement[] {
  const policies = Object.values(resources).filter((r) => r.Type === 'AWS::S3::BucketPolicy'
    && JSON.stringify(r.Properties?.Bucket) === JSON.stringify({ Ref: bucketLogicalId }));
  if (policies.length !== 1) throw new Error(`expected one bucket policy on ${bucketLogicalId}, found ${policies.length}`);
  return (resolveTokens(policies[0]!.Properties!.PolicyDocument, resources) as { Statement: Statement[] }).Statement;
}

/** The statements of every identity policy (inline or managed) attached to the role with this logical id, resolved. */
export function roleStatements(resources: Resources, roleLogicalId: string): Statement[] {
  const attached = (r: TemplateResource) => list(r.Properties?.Roles as unknown[]).some((ref) => JSON.stringify(ref) === JSON.stringify({ Ref: roleLogicalId }));
  const documents: unknown[] = [];
  const role = resources[roleLogicalId];
  if (role?.Type !== 'AWS::IAM::Role') throw new Error(`${roleLogicalId} is not a role`);
  for (const p of list(role.Properties?.Policies as Array<{ PolicyDocument: unknown }>)) documents.push(p.PolicyDocument);
  const managed = list(role.Properties?.ManagedPolicyArns as unknown[]).map((m) => JSON.stringify(m));
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::IAM::Policy' && attached(r)) documents.push(r.Properties!.PolicyDocument);
    if (r.Type === 'AWS::IAM::ManagedPolicy' && (attached(r) || managed.includes(JSON.stringify({ Ref: id })))) documents.push(r.Properties!.PolicyDocument);
  }
  return documents.flatMap((d) => (resolveTokens(d, resources) as { Statement: Statement[] }).Statement);
}
