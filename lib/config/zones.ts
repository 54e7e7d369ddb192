/**
 * Availability zones by ID. Zone names (us-east-1a) map to physical zones differently in each account; zone IDs
 * (use1-az1) name the same physical zone everywhere, so services that refuse a physical zone can only be placed
 * safely by ID. Pure: shared by the network construct and the preflight script.
 */
import { ConfigurationProblem, describeValue } from '../errors';

/**
 * Zone IDs where MSK cannot place brokers, by region. Source: Amazon MSK API reference, BrokerNodeGroupInfo
 * ClientSubnets ("Client subnets can't occupy the Availability Zone with ID use1-az3").
 */
export const MSK_UNSUPPORTED_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': ['use1-az3'],
};

/**
 * Regions where MSK Standard brokers take exactly two client subnets (MSK developer guide, "Create an MSK
 * Provisioned cluster": US West (N. California) needs two subnets in two zones).
 */
export const MSK_TWO_ZONE_REGIONS: readonly string[] = ['us-west-1'];

/** The context key the blueprint reads the zone IDs from. */
export const ZONE_IDS_CONTEXT = 'availabilityZoneIds';

const ZONE_ID = /^([a-z]{2,}[0-9]+)-az([0-9]+)$/;
const DIRECTIONS: Readonly<Record<string, string>> = {
  east: 'e', west: 'w', north: 'n', south: 's', central: 'c',
  northeast: 'ne', northwest: 'nw', southeast: 'se', southwest: 'sw', gov: 'g', iso: 'i', isob: 'ib',
};

/**
 * The prefix of a region's zone IDs (us-east-1 → use1, ap-southeast-2 → apse2, us-gov-west-1 → usgw1), or undefined
 * for a region whose name does not follow the usual pattern (then zone IDs cannot be checked against it).
 */
export function zoneIdPrefix(region: string): string | undefined {
  const parts = region.split('-');
  if (parts.length < 3 || !/^[a-z]{2}$/.test(parts[0]) || !/^[0-9]+$/.test(parts[parts.length - 1])) return undefined;
  const middle = parts.slice(1, -1).map((p) => DIRECTIONS[p]);
  if (middle.some((m) => m === undefined)) return undefined;
  return `${parts[0]}${middle.join('')}${parts[parts.length - 1]}`;
}

/** The region a zone ID prefix belongs to (use1 → us-east-1, apse2 → ap-southeast-2), or undefined if unknown. */
export function regionOfZoneIdPrefix(prefix: string): string | undefined {
  const parts = /^([a-z]{2})([a-z]+?)([0-9]+)$/.exec(prefix);
  if (!parts) return undefined;
  const byAbbreviation = Object.entries(DIRECTIONS).sort(([, a], [, b]) => b.length - a.length);
  const words: string[] = [];
  for (let rest = parts[2]; rest.length > 0;) {
    const match = byAbbreviation.find(([, abbreviation]) => rest.startsWith(abbreviation));
    if (!match) return undefined;
    words.push(match[0]);
    rest = rest.slice(match[1].length);
  }
  const region = [parts[1], ...words, parts[3]].join('-');
  return zoneIdPrefix(region) === prefix ? region : undefined;
}

/** Zone IDs from context: a comma-separated string (`-c availabilityZoneIds=a,b`) or a list (cdk.json). */
export function parseZoneIdsContext(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.split(',').map((s) => s.trim());
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v.trim() : String(v)));
  return [String(value)];
}

export interface ZoneIdCheckOptions {
  /** Zones the VPC spans (the profile's azCount). */
  readonly azCount: number;
  /** The stack's region when known at synth; undefined for an env-agnostic stack. */
  readonly region?: string;
  /** Where the IDs came from, for messages. @default 'availabilityZoneIds' */
  readonly path?: string;
}

/**
 * Every problem with a list of zone IDs: shape, count, duplicates, one region (the stack's, when known), and zones
 * MSK cannot use. An empty list means the IDs are usable.
 */
export function zoneIdProblems(ids: unknown, options: ZoneIdCheckOptions): ConfigurationProblem[] {
  const path = options.path ?? ZONE_IDS_CONTEXT;
  const example = exampleIds(options.region, options.azCount);
  const fixIds = `pass ${options.azCount} zone IDs, e.g. -c ${ZONE_IDS_CONTEXT}=${example} (npm run preflight prints the ones to use)`;
  if (!Array.isArray(ids) || ids.length === 0) {
    return [{ path, problem: `${describeValue(ids)} is not a list of zone IDs`, fix: fixIds }];
  }
  const problems: ConfigurationProblem[] = [];
  const malformed = ids.filter((id) => typeof id !== 'string' || !ZONE_ID.test(id));
  for (const id of malformed) {
    problems.push({ path, problem: `${describeValue(id)} is not a zone ID (<region prefix>-az<N>, e.g. use1-az1; not a zone name such as us-east-1a)`, fix: fixIds });
  }
  if (ids.length !== options.azCount) {
    problems.push({ path, problem: `${ids.length} zone IDs for a profile of ${options.azCount} zones`, fix: fixIds });
  }
  const duplicates = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  if (duplicates.length > 0) {
    problems.push({ path, problem: `${duplicates.map((d) => describeValue(d)).join(', ')} given more than once`, fix: 'name distinct zones, one per subnet tier zone' });
  }
  if (malformed.length > 0) return problems;
  const wellFormed = ids as string[];
  const prefixes = [...new Set(wellFormed.map((id) => ZONE_ID.exec(id)![1]))];
  if (prefixes.length > 1) {
    problems.push({ path, problem: `the zone IDs belong to different regions (${prefixes.join(', ')})`, fix: 'name zones of the one region you deploy to' });
  }
  const expected = options.region !== undefined ? zoneIdPrefix(options.region) : undefined;
  if (expected !== undefined && prefixes.some((p) => p !== expected)) {
    problems.push({ path, problem: `${wellFormed.filter((id) => !id.startsWith(`${expected}-`)).join(', ')} not in the stack's region ${options.region} (its zone IDs start with ${expected}-)`, fix: fixIds });
  }
  const unsupported = wellFormed.filter((id) => Object.values(MSK_UNSUPPORTED_ZONE_IDS).some((list) => list.includes(id)));
  if (unsupported.length > 0) {
    problems.push({ path, problem: `${unsupported.join(', ')}: MSK cannot place brokers there`, fix: `choose other zones: ${fixIds}` });
  }
  return problems;
}

/** Problems of a region the stack knows at synth, with or without zone IDs. */
export function regionZoneProblems(region: string, azCount: number, hasZoneIds: boolean): ConfigurationProblem[] {
  const problems: ConfigurationProblem[] = [];
  const excluded = MSK_UNSUPPORTED_ZONE_IDS[region];
  if (excluded && !hasZoneIds) {
    problems.push({
      path: ZONE_IDS_CONTEXT,
      problem: `is required in ${region}: MSK cannot use zone ${excluded.join(', ')}, and zone names map to zone IDs differently in each account, so zones picked by name may land there`,
      fix: `run npm run preflight -- --region ${region} and pass the -c ${ZONE_IDS_CONTEXT}=… it prints (e.g. ${exampleIds(region, azCount)})`,
    });
  }
  if (MSK_TWO_ZONE_REGIONS.includes(region) && azCount !== 2) {
    problems.push({ path: 'profile.azCount', problem: `${azCount} zones in ${region}, where MSK Standard brokers take exactly two subnets`, fix: 'deploy the dev profile (2 zones) there, or choose another region' });
  }
  return problems;
}

/** An available zone as EC2 DescribeAvailabilityZones reports it. */
export interface ZoneInfo {
  readonly zoneName: string;
  readonly zoneId: string;
}

/** The zones to use: the first `count` by name that MSK supports, or what is missing. */
export function chooseZoneIds(region: string, zones: readonly ZoneInfo[], count: number): { chosen: ZoneInfo[]; skipped: ZoneInfo[] } {
  const excluded = new Set(MSK_UNSUPPORTED_ZONE_IDS[region] ?? []);
  const sorted = [...zones].sort((a, b) => a.zoneName.localeCompare(b.zoneName));
  return {
    chosen: sorted.filter((z) => !excluded.has(z.zoneId)).slice(0, count),
    skipped: sorted.filter((z) => excluded.has(z.zoneId)),
  };
}

function exampleIds(region: string | undefined, count: number): string {
  const prefix = (region !== undefined ? zoneIdPrefix(region) : undefined) ?? 'use1';
  const excluded = new Set(Object.values(MSK_UNSUPPORTED_ZONE_IDS).flat());
  const ids: string[] = [];
  for (let n = 1; ids.length < count && n < 20; n++) {
    if (!excluded.has(`${prefix}-az${n}`)) ids.push(`${prefix}-az${n}`);
  }
  return ids.join(',');
}
