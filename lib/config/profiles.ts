/** Deployment profiles: the sizes, counts and retention that differ between dev and prod. Pure. */
import { z } from 'zod';
import { ConfigurationError } from '../errors';
import { MSK_STANDARD_BROKER_TYPES, POSTGRES_18_INSTANCE_CLASSES } from './instance-types';
import { zodProblems } from './zod-problems';

export const ProfileSchema = z
  .object({
    name: z.enum(['dev', 'prod']),
    /** Availability zones the VPC spans. */
    azCount: z.number().int().min(2).max(3),
    /** NAT gateways created when an egress tier is asked for (never otherwise). */
    natGateways: z.number().int().min(1).max(3),
    /** CloudWatch Logs retention for platform logs (flow logs, audit), in days. */
    platformLogRetentionDays: z.number().int().positive().max(3653),
    /** RDS automated backup retention, in days. */
    backupRetentionDays: z.number().int().min(1).max(35),
    /** RDS instance class, without the `db.` prefix: one RDS offers for PostgreSQL 18. */
    databaseInstanceType: z.string().refine((v) => POSTGRES_18_INSTANCE_CLASSES.has(v), {
      message: 'is not an instance class RDS offers for PostgreSQL 18 (without the "db." prefix, e.g. t4g.medium)',
    }),
    databaseMultiAz: z.boolean(),
    databaseAllocatedStorageGiB: z.number().int().min(20).max(16384),
    /** MSK broker instance type (Standard brokers). */
    brokerInstanceType: z.string().refine((v) => MSK_STANDARD_BROKER_TYPES.has(v), {
      message: 'is not an MSK Standard broker size (e.g. kafka.t3.small, kafka.m7g.large)',
    }),
    /** Brokers per availability zone. */
    brokersPerAz: z.number().int().min(1).max(4),
    brokerStorageGiB: z.number().int().min(1).max(16384),
    /** Default partitions per topic. */
    topicPartitions: z.number().int().min(1).max(1000),
    /** Records per store invocation from the MSK event source mapping. */
    storeBatchSize: z.number().int().min(1).max(10000),
    /** Seconds the MSK event source mapping gathers records before invoking store. */
    storeBatchWindowSeconds: z.number().int().min(0).max(300),
    /**
     * The bound on a pipeline stage's concurrency, applied through its event source mapping, never reserved: the load
     * stage's SQS mapping takes it as MaximumConcurrency (at least 2, what SQS mappings accept; at most 10, the
     * database connections it may hold). The store stage is bounded by its topic's partitions instead (Lambda reads
     * each partition sequentially), ingest by its schedule, custom resources by CloudFormation.
     */
    functionConcurrency: z.number().int().min(1).max(1000),
    /**
     * Reserved concurrency for every pipeline function. Absent in dev and prod: a reservation takes from the account's
     * unreserved pool, which Lambda keeps at 100 or more, so an account with a small concurrency quota could not create
     * the functions. Set it (a profile override) only where the account can hold the sum of the reservations.
     */
    reservedConcurrency: z.number().int().min(1).max(1000).optional(),
    /** Whether stateful resources may be destroyed at all (also needs -c destroyData=true). */
    allowDestroy: z.boolean(),
  })
  .strict();

export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileName = Profile['name'];

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  dev: {
    name: 'dev',
    azCount: 2,
    natGateways: 1,
    platformLogRetentionDays: 90,
    backupRetentionDays: 7,
    databaseInstanceType: 't4g.medium',
    databaseMultiAz: false,
    databaseAllocatedStorageGiB: 20,
    brokerInstanceType: 'kafka.t3.small',
    brokersPerAz: 1,
    brokerStorageGiB: 20,
    topicPartitions: 3,
    storeBatchSize: 100,
    storeBatchWindowSeconds: 1,
    functionConcurrency: 5,
    allowDestroy: true,
  },
  prod: {
    name: 'prod',
    azCount: 3,
    natGateways: 3,
    platformLogRetentionDays: 365,
    backupRetentionDays: 35,
    databaseInstanceType: 'm7g.large',
    databaseMultiAz: true,
    databaseAllocatedStorageGiB: 100,
    brokerInstanceType: 'kafka.m7g.large',
    brokersPerAz: 1,
    brokerStorageGiB: 500,
    topicPartitions: 6,
    storeBatchSize: 1000,
    storeBatchWindowSeconds: 5,
    functionConcurrency: 20,
    allowDestroy: false,
  },
};

/**
 * Resolves a profile by name, optionally overriding some of its values.
 * Overrides are validated with the same schema; `name` and `allowDestroy` cannot be overridden.
 */
export function resolveProfile(name: string | undefined, overrides: Partial<Profile> = {}): Profile {
  const key = (name ?? 'dev').trim();
  const base = Object.hasOwn(PROFILES, key) ? (PROFILES as Record<string, Profile>)[key] : undefined;
  if (!base) {
    throw new ConfigurationError('Profile', [
      { path: 'profile', problem: `unknown profile "${key}"`, fix: `pass -c profile=dev or -c profile=prod` },
    ]);
  }
  const locked = (['name', 'allowDestroy'] as const).filter((k) => k in overrides);
  if (locked.length > 0) {
    throw new ConfigurationError('Profile', locked.map((k) => ({
      path: `profileOverrides.${k}`,
      problem: `"${k}" is fixed by the profile`,
      fix: 'choose another profile instead of overriding this value',
    })));
  }
  const parsed = ProfileSchema.safeParse({ ...base, ...overrides });
  if (!parsed.success) {
    throw new ConfigurationError(`Profile "${key}"`, zodProblems(parsed.error, 'profileOverrides'));
  }
  return parsed.data;
}

/**
 * Checks a profile built in code (resolveProfile checks the ones it returns): constructs take a Profile object, and
 * one assembled by hand, or changed after resolving, must meet the same schema. Returns the parsed profile.
 */
export function validateProfile(profile: unknown, where: string): Profile {
  const parsed = ProfileSchema.safeParse(profile);
  if (!parsed.success) {
    throw new ConfigurationError(`Invalid ${where}`, zodProblems(parsed.error, 'profile'));
  }
  return parsed.data;
}

/** Context keys (`-c key=value`) the blueprint app reads as profile overrides. */
export const PROFILE_CONTEXT_OVERRIDES = ['reservedConcurrency'] as const;

/**
 * The profile overrides given as CDK context, e.g. `-c reservedConcurrency=5`: whole numbers arrive as strings from
 * the command line and are read as numbers; anything else is left for resolveProfile to refuse by name.
 */
export function profileOverridesFromContext(context: (key: string) => unknown): Partial<Profile> {
  const overrides: Record<string, unknown> = {};
  for (const key of PROFILE_CONTEXT_OVERRIDES) {
    const value = context(key);
    if (value === undefined) continue;
    overrides[key] = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  }
  return overrides as Partial<Profile>;
}
