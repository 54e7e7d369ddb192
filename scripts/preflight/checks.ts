/**
 * The preflight's checks: read-only AWS calls with the user's credentials, each turned into a pass / warn / fail
 * with the fix. Pure apart from the clients it is given, so tests run it against faked SDK responses.
 */
import { CloudFormationClient, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient, ListDetectorsCommand } from '@aws-sdk/client-guardduty';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { chooseZoneIds, MSK_TWO_ZONE_REGIONS, MSK_UNSUPPORTED_ZONE_IDS, Profile, ZONE_IDS_CONTEXT, zoneIdProblems } from '../../lib/config';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
  /** What to do; empty when nothing is needed. */
  readonly fix: string;
}

export interface PreflightClients {
  readonly lambda: LambdaClient;
  readonly guardDuty: GuardDutyClient;
  readonly cloudTrail: CloudTrailClient;
  readonly serviceQuotas: ServiceQuotasClient;
  readonly ec2: EC2Client;
  readonly cloudFormation: CloudFormationClient;
}

/** What the preflight needs from the template it checks against (see template.ts). */
export interface TemplateFacts {
  /** Sum of ReservedConcurrentExecutions over the template's Lambda functions. */
  readonly reservedConcurrency: number;
  /** The bootstrap version the template's CheckBootstrapVersion rule asks for. */
  readonly bootstrapVersion: number;
}

export interface PreflightOptions {
  readonly region: string;
  readonly profile: Profile;
  readonly template: TemplateFacts;
  /** Zone IDs the user means to pass (-c availabilityZoneIds); checked against the region instead of choosing. */
  readonly zoneIds?: readonly string[];
  /** The CDK bootstrap stack's name. @default CDKToolkit */
  readonly toolkitStackName?: string;
}

export interface PreflightResult {
  readonly checks: Check[];
  /** Context values to pass to cdk synth/deploy, by key. */
  readonly context: Record<string, string>;
}

/** Lambda keeps at least this much concurrency unreserved in every account and region. */
export const MIN_UNRESERVED_CONCURRENCY = 100;
/** The default account concurrency; new accounts start lower and AWS raises it with use. */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
/** CloudTrail: trails per region (not adjustable). */
export const TRAILS_PER_REGION = 5;

export const QUOTAS = {
  lambdaConcurrency: { serviceCode: 'lambda', quotaCode: 'L-B99A9384', name: 'Concurrent executions' },
  mskBrokers: { serviceCode: 'kafka', quotaCode: 'L-EDD31C36', name: 'Number of brokers per account' },
  natPerZone: { serviceCode: 'vpc', quotaCode: 'L-FE5A380F', name: 'NAT gateways per Availability Zone' },
} as const;

function increaseCommand(quota: { serviceCode: string; quotaCode: string }, value: number, region: string): string {
  return `aws service-quotas request-service-quota-increase --service-code ${quota.serviceCode} --quota-code ${quota.quotaCode} --desired-value ${value} --region ${region}`;
}

function errorName(e: unknown): string {
  return (e as { name?: string } | null)?.name ?? 'Error';
}

function errorText(e: unknown): string {
  return `${errorName(e)}: ${(e as Error | null)?.message ?? String(e)}`;
}

function isAccessDenied(e: unknown): boolean {
  return /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(errorName(e));
}

/** No usable credentials at all (none found, expired, or not valid for AWS): nothing was checked. */
function isMissingCredentials(e: unknown): boolean {
  return /CredentialsProviderError|ExpiredToken|InvalidClientTokenId|UnrecognizedClient|TokenRefreshRequired|SSOTokenProviderFailure/i.test(errorName(e));
}

/**
 * A call the user's credentials may not be allowed: the check is reported as a warning instead of crashing. Without
 * usable credentials it is a failure: a preflight that checked nothing must not read as "0 failed".
 */
async function guarded(id: string, permission: string, run: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await run();
    return Array.isArray(result) ? result : [result];
  } catch (e) {
    if (isMissingCredentials(e)) {
      return [{
        id, status: 'fail', detail: `not checked: no usable AWS credentials (${errorText(e)})`,
        fix: 'sign in to the account you will deploy to (aws sso login, AWS_PROFILE=<profile>, or aws configure) and run the preflight again',
      }];
    }
    return [{
      id, status: 'warn', detail: `could not check (${errorText(e)})`,
      fix: isAccessDenied(e) ? `allow ${permission} for these credentials and run the preflight again` : 'run the preflight again; if it persists, check this by hand',
    }];
  }
}

async function lambdaConcurrency(clients: PreflightClients, options: PreflightOptions): Promise<Check[]> {
  const settings = await clients.lambda.send(new GetAccountSettingsCommand({}));
  const limit = settings.AccountLimit?.ConcurrentExecutions ?? 0;
  const unreserved = settings.AccountLimit?.UnreservedConcurrentExecutions ?? limit;
  const reserved = options.template.reservedConcurrency;
  const room = unreserved - MIN_UNRESERVED_CONCURRENCY;
  const needed = reserved + MIN_UNRESERVED_CONCURRENCY + (limit - unreserved);
  const checks: Check[] = [reserved <= room
    ? { id: 'lambda-concurrency', status: 'pass', detail: `account limit ${limit}, unreserved ${unreserved}; the template reserves ${reserved}, leaving at least ${MIN_UNRESERVED_CONCURRENCY} unreserved`, fix: '' }
    : {
      id: 'lambda-concurrency', status: 'fail',
      detail: `account limit ${limit}, unreserved ${unreserved}; the template reserves ${reserved}, but Lambda keeps ${MIN_UNRESERVED_CONCURRENCY} unreserved, so the deploy would fail`,
      fix: `ask for a higher Lambda concurrency (quota ${QUOTAS.lambdaConcurrency.quotaCode}, "${QUOTAS.lambdaConcurrency.name}"): ${increaseCommand(QUOTAS.lambdaConcurrency, Math.max(needed, DEFAULT_ACCOUNT_CONCURRENCY), options.region)}`,
    }];
  if (limit < DEFAULT_ACCOUNT_CONCURRENCY) {
    checks.push({
      id: 'lambda-account-limit', status: checks[0].status === 'fail' ? 'fail' : 'warn',
      detail: `account concurrency limit is ${limit} (default ${DEFAULT_ACCOUNT_CONCURRENCY}; new accounts start lower): the MSK and SQS event sources scale pollers and invocations beyond that`,
      fix: increaseCommand(QUOTAS.lambdaConcurrency, DEFAULT_ACCOUNT_CONCURRENCY, options.region),
    });
  }
  return checks;
}

async function guardDuty(clients: PreflightClients, context: Record<string, string>): Promise<Check> {
  const { DetectorIds = [] } = await clients.guardDuty.send(new ListDetectorsCommand({}));
  if (DetectorIds.length === 0) return { id: 'guardduty', status: 'pass', detail: 'no detector in this region: a detector will be created', fix: '' };
  context.guardDutyDetectorId = DetectorIds[0];
  return {
    id: 'guardduty', status: 'pass', detail: `detector ${DetectorIds[0]} exists and will be adopted (a region has at most one)`,
    fix: `pin it: -c guardDutyDetectorId=${DetectorIds[0]}`,
  };
}

async function cloudTrail(clients: PreflightClients, region: string): Promise<Check> {
  const { trailList = [] } = await clients.cloudTrail.send(new DescribeTrailsCommand({ includeShadowTrails: true }));
  const own = trailList.filter((t) => t.HomeRegion === region && t.IsOrganizationTrail !== true);
  const organization = trailList.filter((t) => t.IsOrganizationTrail === true);
  const shadow = trailList.length - own.length - organization.filter((t) => t.HomeRegion === region).length;
  const counts = `${trailList.length} trail(s) log this region: ${own.length} own trail(s) created here, ${organization.length} organization trail(s), ${Math.max(shadow, 0)} other multi-region trail(s)`;
  const orgNote = organization.length > 0 ? ` An organization trail (${organization[0].Name}) already logs this account: the stack may adopt it instead of adding one (auditTrail.useOrganizationTrail).` : '';
  if (own.length >= TRAILS_PER_REGION) {
    return {
      id: 'cloudtrail', status: 'fail', detail: `${counts}; CloudTrail allows ${TRAILS_PER_REGION} per region and the stack adds one.${orgNote}`,
      fix: `delete an unused trail (aws cloudtrail delete-trail --name <trail> --region ${region}) or adopt an existing/organization trail`,
    };
  }
  return { id: 'cloudtrail', status: 'pass', detail: `${counts}; room for the stack's trail.${orgNote}`, fix: '' };
}

async function zones(clients: PreflightClients, options: PreflightOptions, context: Record<string, string>): Promise<Check[]> {
  const { AvailabilityZones = [] } = await clients.ec2.send(new DescribeAvailabilityZonesCommand({
    Filters: [{ Name: 'state', Values: ['available'] }, { Name: 'zone-type', Values: ['availability-zone'] }],
  }));
  const available = AvailabilityZones
    .filter((z) => z.ZoneName && z.ZoneId && (z.ZoneType ?? 'availability-zone') === 'availability-zone' && (z.State ?? 'available') === 'available')
    .map((z) => ({ zoneName: z.ZoneName!, zoneId: z.ZoneId! }));
  const mapping = available.map((z) => `${z.zoneName}=${z.zoneId}`).join(', ');
  const { azCount } = options.profile;
  const checks: Check[] = [];
  if (MSK_TWO_ZONE_REGIONS.includes(options.region) && azCount !== 2) {
    checks.push({ id: 'zones-msk-count', status: 'fail', detail: `the ${options.profile.name} profile spans ${azCount} zones; MSK Standard brokers in ${options.region} take exactly two subnets`, fix: 'deploy the dev profile (2 zones) here, or choose another region' });
  }
  if (options.zoneIds) {
    const problems = zoneIdProblems([...options.zoneIds], { azCount, region: options.region });
    const missing = options.zoneIds.filter((id) => !available.some((z) => z.zoneId === id));
    if (problems.length > 0 || missing.length > 0) {
      const what = [...problems.map((p) => p.problem), ...(missing.length > 0 ? [`${missing.join(', ')} not available in ${options.region}`] : [])];
      const { chosen } = chooseZoneIds(options.region, available, azCount);
      return [...checks, { id: 'zones', status: 'fail', detail: `-c ${ZONE_IDS_CONTEXT}=${options.zoneIds.join(',')}: ${what.join('; ')} (zones here: ${mapping})`, fix: chosen.length === azCount ? `use -c ${ZONE_IDS_CONTEXT}=${chosen.map((z) => z.zoneId).join(',')}` : 'choose another region' }];
    }
    context[ZONE_IDS_CONTEXT] = options.zoneIds.join(',');
    return [...checks, { id: 'zones', status: 'pass', detail: `the given zone IDs are available here and MSK supports them (zones here: ${mapping})`, fix: '' }];
  }
  const { chosen, skipped } = chooseZoneIds(options.region, available, azCount);
  if (chosen.length < azCount) {
    return [...checks, {
      id: 'zones', status: 'fail', detail: `${options.region} has ${chosen.length} available zone(s) MSK supports (${mapping}); the ${options.profile.name} profile needs ${azCount}`,
      fix: 'choose another region, or the dev profile (2 zones)',
    }];
  }
  const ids = chosen.map((z) => z.zoneId).join(',');
  context[ZONE_IDS_CONTEXT] = ids;
  const skippedNote = skipped.length > 0 ? `; skipped ${skipped.map((z) => `${z.zoneName} (${z.zoneId})`).join(', ')}: MSK cannot place brokers there` : '';
  const required = MSK_UNSUPPORTED_ZONE_IDS[options.region] !== undefined;
  return [...checks, {
    id: 'zones', status: 'pass',
    detail: `chose ${chosen.map((z) => `${z.zoneName} (${z.zoneId})`).join(', ')}${skippedNote}`,
    fix: `${required ? 'required in this region: ' : ''}-c ${ZONE_IDS_CONTEXT}=${ids}`,
  }];
}

async function bootstrap(clients: PreflightClients, options: PreflightOptions): Promise<Check> {
  const name = options.toolkitStackName ?? 'CDKToolkit';
  const fix = `cdk bootstrap aws://<account>/${options.region} (with the CDK CLI of this repository: npx cdk bootstrap)`;
  let stack: Stack | undefined;
  try {
    stack = (await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (e) {
    if (errorName(e) === 'ValidationError' && /does not exist/.test((e as Error).message)) {
      return { id: 'bootstrap', status: 'fail', detail: `no ${name} stack in ${options.region}: the environment is not bootstrapped`, fix };
    }
    throw e;
  }
  if (!stack) return { id: 'bootstrap', status: 'fail', detail: `no ${name} stack in ${options.region}`, fix };
  if (!/_COMPLETE$/.test(stack.StackStatus ?? '') || /ROLLBACK|DELETE/.test(stack.StackStatus ?? '')) {
    return { id: 'bootstrap', status: 'fail', detail: `${name} is in state ${stack.StackStatus}`, fix };
  }
  const version = Number(stack.Outputs?.find((o) => o.OutputKey === 'BootstrapVersion')?.OutputValue);
  if (!Number.isFinite(version) || version < options.template.bootstrapVersion) {
    return { id: 'bootstrap', status: 'fail', detail: `${name} is at version ${Number.isFinite(version) ? version : 'unknown'}; the template needs ${options.template.bootstrapVersion} or later`, fix };
  }
  return { id: 'bootstrap', status: 'pass', detail: `${name} at version ${version} (the template needs ${options.template.bootstrapVersion})`, fix: '' };
}

async function quota(clients: PreflightClients, id: string, q: { serviceCode: string; quotaCode: string; name: string }, needed: number, what: string, region: string): Promise<Check> {
  let value: number | undefined;
  try {
    value = (await clients.serviceQuotas.send(new GetServiceQuotaCommand({ ServiceCode: q.serviceCode, QuotaCode: q.quotaCode }))).Quota?.Value;
  } catch (e) {
    if (isMissingCredentials(e)) throw e; // guarded() reports it as a failure
    return {
      id, status: 'warn', detail: `could not read quota ${q.serviceCode}/${q.quotaCode} "${q.name}" (${errorText(e)})`,
      fix: isAccessDenied(e) ? 'allow servicequotas:GetServiceQuota, or check the quota in the Service Quotas console' : `check "${q.name}" in the Service Quotas console; ${what} need ${needed}`,
    };
  }
  if (value === undefined) return { id, status: 'warn', detail: `quota ${q.quotaCode} "${q.name}" has no value`, fix: `check it in the Service Quotas console; ${what} need ${needed}` };
  if (value < needed) {
    return { id, status: 'fail', detail: `"${q.name}" is ${value}; ${what} need ${needed}`, fix: increaseCommand(q, needed, region) };
  }
  return { id, status: 'pass', detail: `"${q.name}" is ${value}; ${what} need ${needed} (resources already in use are not counted)`, fix: '' };
}

/** Runs every check; never throws for an AWS error (each becomes a warning naming the permission or the cause). */
export async function runPreflight(clients: PreflightClients, options: PreflightOptions): Promise<PreflightResult> {
  const context: Record<string, string> = {};
  const { profile, region } = options;
  const groups = await Promise.all([
    guarded('lambda-concurrency', 'lambda:GetAccountSettings', () => lambdaConcurrency(clients, options)),
    guarded('guardduty', 'guardduty:ListDetectors', () => guardDuty(clients, context)),
    guarded('cloudtrail', 'cloudtrail:DescribeTrails', () => cloudTrail(clients, region)),
    guarded('zones', 'ec2:DescribeAvailabilityZones', () => zones(clients, options, context)),
    guarded('bootstrap', 'cloudformation:DescribeStacks', () => bootstrap(clients, options)),
    guarded('quota-msk-brokers', 'servicequotas:GetServiceQuota', () => quota(clients, 'quota-msk-brokers', QUOTAS.mskBrokers,
      profile.azCount * profile.brokersPerAz, `${profile.azCount} zones × ${profile.brokersPerAz} broker(s)`, region)),
    guarded('quota-nat-per-zone', 'servicequotas:GetServiceQuota', () => quota(clients, 'quota-nat-per-zone', QUOTAS.natPerZone,
      1, `${Math.min(profile.natGateways, profile.azCount)} NAT gateway(s), one per zone,`, region)),
  ]);
  return { checks: groups.flat(), context };
}

/** The pass/warn/fail list as a user reads it, then the context to pass on. */
export function formatReport(result: PreflightResult, options: Pick<PreflightOptions, 'region' | 'profile'>): string {
  const lines = [`Preflight for profile ${options.profile.name} in ${options.region} (read-only calls)`, ''];
  for (const c of result.checks) {
    lines.push(`${c.status.toUpperCase().padEnd(4)}  ${c.id.padEnd(20)}  ${c.detail}`);
    if (c.fix) lines.push(`${' '.repeat(28)}fix: ${c.fix}`);
  }
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  const warned = result.checks.filter((c) => c.status === 'warn').length;
  lines.push('', `${failed} failed, ${warned} warning(s), ${result.checks.length - failed - warned} passed.`);
  const context = Object.entries(result.context).map(([k, v]) => `-c ${k}=${v}`).join(' ');
  if (context) lines.push('', 'Pass these to cdk synth / cdk deploy:', `  AWS_REGION=${options.region} npx cdk deploy -c profile=${options.profile.name} ${context}`);
  return `${lines.join('\n')}\n`;
}
