/**
 * SecureDatabase with random props: the default port, instance classes RDS does not offer for PostgreSQL 18,
 * truthy non-booleans for the security flags, reserved names and careless datasets are refused naming each;
 * valid ones build, and a handful synthesize a template that passes every pack.
 */
import fc from 'fast-check';
import { PROFILES } from '../../lib/config';
import { SecureDatabase, SecureDatabaseProps } from '../../lib/constructs/database/secure-database';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { constructProperties, exampleDatasets, notBoolean, notIntegerIn, notString, platform, Platform, PropSpec, validProfile } from './support/props';

type Props = Record<keyof SecureDatabaseProps, unknown>;

const identifier = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/).filter((n) => !['public', 'user', 'all', 'and', 'or', 'as', 'do', 'in', 'is', 'on', 'to'].includes(n) && !n.startsWith('pg_'));

function flag(secure: boolean): PropSpec {
  return { good: fc.constant(secure), bad: fc.oneof(fc.constant(!secure), notBoolean) };
}

function specs(network: SecureNetwork, keys: DataKeys): { [K in keyof Props]: PropSpec } {
  const datasets = exampleDatasets();
  const [first] = datasets.datasets;
  return {
    network: { good: fc.constant(network), bad: fc.constantFrom({}, 'vpc-1', keys), optional: false },
    keys: { good: fc.constant(keys), bad: fc.constantFrom({}, 'alias/x', network), optional: false },
    profile: {
      good: validProfile,
      bad: fc.constantFrom({ ...PROFILES.dev, databaseInstanceType: 't3.micro' }, { ...PROFILES.prod, databaseInstanceType: 'db.m7g.large' },
        { ...PROFILES.dev, backupRetentionDays: 0 }, { ...PROFILES.dev, databaseMultiAz: 'yes' }, 'dev', {}),
      optional: false,
    },
    backupVaultLock: { good: fc.constantFrom(undefined, 'GOVERNANCE', 'COMPLIANCE'), bad: fc.constantFrom('LEGAL_HOLD', 'governance', 1, true) },
    port: { good: fc.integer({ min: 1150, max: 65535 }).filter((p) => p !== 5432), bad: fc.oneof(fc.constant(5432), notIntegerIn(1150, 65535)) },
    databaseName: { good: identifier, bad: fc.oneof(notString, fc.constantFrom('Pipeline', '1db', '', 'select', 'user', 'my-db')) },
    datasets: {
      good: fc.constantFrom(undefined, datasets),
      bad: fc.constantFrom(
        { datasets: [] }, 'datasets', { datasets: [{ ...first!, fields: [] }] },
        { datasets: [{ ...first!, source: { ...first!.source, url: 'https://api.example.com/x?token=abc' } }] },
        { datasets: [{ ...first!, source: { ...first!.source, schedule: 'rate(1 hours)' } }] },
      ),
    },
    schema: { good: identifier, bad: fc.oneof(notString, fc.constantFrom('public', 'pg_data', 'information_schema', 'Data', '')) },
    // RDS rotates the managed master secret every 7 days: a shorter period cannot be met and is refused.
    rotationDays: { good: fc.integer({ min: 7, max: 90 }), bad: fc.oneof(notIntegerIn(1, 90), fc.integer({ min: 1, max: 6 })) },
    publiclyAccessible: flag(false),
    storageEncrypted: flag(true),
    forceSsl: flag(true),
    iamAuthentication: flag(true),
  };
}

constructProperties<Platform, Props>('SecureDatabase', {
  setup: (stack) => platform(stack),
  specs: ({ network, keys }) => specs(network, keys),
  build: (stack, id, props) => new SecureDatabase(stack, id, props as unknown as SecureDatabaseProps),
  synthesize: (stack, props) => new SecureDatabase(stack, 'Database', { ...(props as unknown as SecureDatabaseProps), ...platform(stack) }),
  share: 0.5,
});
