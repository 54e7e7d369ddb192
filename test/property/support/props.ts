/**
 * Shared generators and checks for the construct property tests: careless values as JavaScript callers and careless
 * team stacks pass them, credential-bearing URLs, valid configs, and the two outcomes a construct may have —
 * a ConfigurationError naming every problem, or a template that passes every pack.
 */
import { App, Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { Classification, CLASSIFICATIONS } from '../../../lib/classification';
import { DatasetConfig, DatasetsConfig, FieldConfig, PROFILES, Profile, validateDatasetsConfig } from '../../../lib/config';
import { DataKeys } from '../../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../../lib/constructs/network/secure-network';
import { ConfigurationError } from '../../../lib/errors';
import { synthWithCompliance, testStack } from '../../helpers/app';

// ---------------------------------------------------------------------------------------------------------------
// Outcomes

/** What building a construct from generated props came to. */
export type Outcome = { readonly refused: ConfigurationError } | { readonly built: true };

/**
 * Builds, and accepts only two outcomes: success, or a ConfigurationError whose every problem has a path, a
 * problem and a fix. Any other error (TypeError, aws-cdk-lib's ValidationError, ...) is unexplained and fails.
 */
export function attempt(build: () => unknown): Outcome {
  try {
    build();
    return { built: true };
  } catch (e) {
    if (!(e instanceof ConfigurationError)) {
      const err = e as Error;
      throw new Error(`unexplained ${err?.constructor?.name ?? typeof e}: ${err?.message ?? String(e)}`);
    }
    for (const p of e.problems) {
      if (!p.path || !p.problem || !p.fix) throw new Error(`a problem without path, problem or fix: ${JSON.stringify(p)}`);
    }
    return { refused: e };
  }
}

/**
 * The property for generated props with a known list of bad paths: refused naming every one of them (a problem
 * path equal to it or below it), or built when there are none.
 */
export function expectOutcome(outcome: Outcome, badPaths: readonly string[]): void {
  if (badPaths.length === 0) {
    if ('refused' in outcome) throw new Error(`valid props were refused:\n${outcome.refused.message}`);
    return;
  }
  if (!('refused' in outcome)) throw new Error(`built although ${badPaths.join(', ')} ${badPaths.length === 1 ? 'is' : 'are'} bad`);
  const named = outcome.refused.problems.map((p) => p.path);
  const missing = badPaths.filter((bad) => !named.some((path) => path === bad || path.startsWith(`${bad}.`) || path.startsWith(`${bad}[`)));
  if (missing.length > 0) throw new Error(`not named: ${missing.join(', ')}\n${outcome.refused.message}`);
}

/** Synthesizes with every pack enforced; passes only with no finding, acknowledged or not, that is unexplained. */
export function expectEveryPackPasses(build: (stack: Stack) => void): void {
  const result = synthWithCompliance((app: App) => build(new Stack(app, 'PropertyStack')));
  if (result.error || result.findings.length > 0) {
    throw new Error(`the packs found:\n${result.findings.map((f) => `${f.pack}::${f.ruleId} ${f.path}`).join('\n')}\n${result.error?.message ?? ''}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Props: good values, careless values, and a record that remembers which props were made bad

/** A prop generator: its good values, and values that are wrong for it (so the construct must name it). */
export interface PropSpec<T = unknown> {
  readonly good: fc.Arbitrary<T>;
  readonly bad: fc.Arbitrary<unknown>;
  /** The prop may be left out. @default true */
  readonly optional?: boolean;
}

/** Generated props and the paths that were given a bad value. */
export interface Generated<P> {
  readonly props: P;
  readonly bad: readonly string[];
}

/**
 * Props where each key is independently left out (when optional), given a good value or, with probability about
 * `badShare`, a bad one; `bad` lists the keys that got a bad value.
 */
export function propsOf<P extends Record<string, unknown>>(specs: { readonly [K in keyof P]: PropSpec<P[K]> }, badShare = 0.1): fc.Arbitrary<Generated<P>> {
  const keys = Object.keys(specs) as Array<keyof P & string>;
  const entries = keys.map((key) => {
    const spec = specs[key];
    const choices: Array<fc.WeightedArbitrary<[string, 'good' | 'bad' | 'absent', unknown]>> = [
      { arbitrary: spec.good.map((v) => [key, 'good', v] as [string, 'good', unknown]), weight: 10 },
      { arbitrary: spec.bad.map((v) => [key, 'bad', v] as [string, 'bad', unknown]), weight: Math.round(badShare * 20) },
    ];
    if (spec.optional !== false) choices.push({ arbitrary: fc.constant([key, 'absent', undefined] as [string, 'absent', undefined]), weight: 5 });
    return fc.oneof(...choices);
  });
  return fc.tuple(...entries).map((chosen) => ({
    props: Object.fromEntries(chosen.filter(([, kind]) => kind !== 'absent').map(([key, , value]) => [key, value])) as P,
    bad: chosen.filter(([, kind]) => kind === 'bad').map(([key]) => key),
  }));
}

/** Values no typed prop should accept blindly: wrong types, truthy strings, non-finite numbers. */
export const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, 0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, 1e12, '', 'true', 'false', 'yes', '1', [], {}, true, false),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
);

/** A boolean prop that a JavaScript caller fills with something truthy or falsy instead. */
export const notBoolean: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(1, 0, 'true', 'false', 'yes', '', null, [], {}, Number.NaN),
  fc.string({ minLength: 1, maxLength: 6 }),
  fc.integer(),
);

/** A whole number prop given something outside [min, max] or not a whole number. */
export function notIntegerIn(min: number, max: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.integer({ min: -1e9, max: min - 1 }),
    fc.integer({ min: max + 1, max: max + 1e9 }),
    fc.double({ min, max, noNaN: true }).filter((v) => !Number.isInteger(v)),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, null, String(min), `${max}`, true, [], {}),
  );
}

/** A string prop given a non-string. */
export const notString: fc.Arbitrary<unknown> = fc.oneof(fc.integer(), fc.constantFrom(null, true, false, [], {}, Number.NaN));

// ---------------------------------------------------------------------------------------------------------------
// URLs: plain ones and ones that carry a credential

/**
 * Credential parameter names (case and separators vary below). Written out independently of the detector, as a
 * reviewer would list them.
 */
export const CREDENTIAL_PARAMETER_BASES = [
  'token', 'api_key', 'apikey', 'api-key', 'x-api-key', 'key', 'secret', 'password', 'passwd', 'pwd', 'signature', 'sig',
  'auth', 'access_token', 'session_token', 'client_secret', 'auth_token', 'refresh_token', 'id_token', 'private_key',
  'secret_key', 'access_key', 'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'subscription-key',
  'ocp-apim-subscription-key', 'jwt', 'bearer', 'credentials', 'passphrase', 'sessionid', 'app_key',
];

/** Names that end like a credential whatever precedes them. */
const CREDENTIAL_ENDINGS = ['token', 'api_key', 'secret', 'password', 'signature', 'credential', 'private_key', 'access_key'];

/** `api_key` as `API-Key`, `apiKey`, `Api.Key`, `aPI_kEY`, ... */
function spelled(base: string): fc.Arbitrary<string> {
  const words = base.split(/[-_]/);
  return fc.tuple(
    fc.constantFrom('_', '-', '.', '', ' '),
    fc.array(fc.boolean(), { minLength: base.length, maxLength: base.length }),
  ).map(([sep, upper]) => {
    let i = 0;
    return words.map((w) => [...w].map((c) => (upper[i++] ? c.toUpperCase() : c)).join('')).join(sep);
  });
}

export const credentialParameterName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...CREDENTIAL_PARAMETER_BASES).chain(spelled),
  fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.constantFrom('_', '-', ''), fc.constantFrom(...CREDENTIAL_ENDINGS).chain(spelled))
    .map(([prefix, sep, name]) => `${prefix}${sep}${name}`),
);

/** Parameter names no one would read as a credential: no fragment of one in them. */
const CREDENTIAL_FRAGMENTS = /key|token|secret|pass|pwd|auth|sig|jwt|bearer|credential|session|sessid|otp|pin/;
export const plainParameterName: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('page', 'limit', 'q', 'sort', 'format', 'from', 'to', 'region', 'lang', 'fields', 'since', 'cursor', 'pageToken', 'nextToken'),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/).filter((n) => !CREDENTIAL_FRAGMENTS.test(n.replace(/[^a-z0-9]/g, ''))),
);

const host: fc.Arbitrary<string> = fc.tuple(
  fc.array(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/), { minLength: 1, maxLength: 3 }),
  fc.constantFrom('com', 'org', 'io', 'net', 'example'),
).map(([labels, tld]) => [...labels, tld].join('.'));

const path: fc.Arbitrary<string> = fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/), { maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const plainValue: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9]{0,12}$/);

function queryOf(params: ReadonlyArray<readonly [string, string]>): string {
  return params.length === 0 ? '' : `?${params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

/** An https URL with ordinary parameters only. */
export const plainHttpsUrl: fc.Arbitrary<string> = fc.tuple(host, path, fc.array(fc.tuple(plainParameterName, plainValue), { maxLength: 3 }))
  .map(([h, p, params]) => `https://${h}${p}${queryOf(params)}`);

/** An absolute URL that carries a credential: user info, a credential parameter (query or fragment), any scheme. */
export const credentialUrl: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom('https', 'http', 'postgres', 'postgresql', 'redis', 'mongodb+srv', 'amqps'),
  host,
  path,
  fc.array(fc.tuple(plainParameterName, plainValue), { maxLength: 2 }),
  fc.oneof(
    fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), fc.stringMatching(/^[A-Za-z0-9]{1,12}$/)).map(([u, p]) => ({ userinfo: `${u}:${p}@` })),
    fc.stringMatching(/^[a-z0-9]{8,20}$/).map((u) => ({ userinfo: `${u}@` })),
    fc.tuple(credentialParameterName, fc.stringMatching(/^[A-Za-z0-9]{1,16}$/), fc.boolean()).map(([name, value, inFragment]) => ({ param: [name, value] as const, inFragment })),
  ),
).map(([scheme, h, p, params, credential]) => {
  if ('userinfo' in credential) return `${scheme}://${credential.userinfo}${h}${p}${queryOf(params)}`;
  const [name, value] = credential.param;
  const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return credential.inFragment
    ? `${scheme}://${h}${p}${queryOf(params)}#${pair}`
    : `${scheme}://${h}${p}${queryOf([...params, [name, value]])}`;
});

/** ARNs as environments carry them (secrets, keys, tables, buckets). */
export const arn: fc.Arbitrary<string> = fc.tuple(
  fc.constantFrom('aws', 'aws-us-gov', 'aws-cn'),
  fc.constantFrom('secretsmanager', 'kms', 'dynamodb', 's3', 'sqs', 'ssm'),
  fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2', ''),
  fc.stringMatching(/^\d{12}$/),
  fc.stringMatching(/^[a-z][a-zA-Z0-9/:_.-]{0,40}$/),
).map(([partition, service, region, account, resource]) => `arn:${partition}:${service}:${region}:${account}:${resource}`);

// ---------------------------------------------------------------------------------------------------------------
// Profiles and datasets

/** A profile with its values varied within what the schema accepts. */
export const validProfile: fc.Arbitrary<Profile> = fc.record({
  base: fc.constantFrom(PROFILES.dev, PROFILES.prod),
  databaseInstanceType: fc.constantFrom('t4g.micro', 't4g.medium', 'm7g.large', 'r6g.xlarge', 'm8g.large'),
  brokerInstanceType: fc.constantFrom('kafka.t3.small', 'kafka.m5.large', 'kafka.m7g.large'),
  topicPartitions: fc.integer({ min: 1, max: 12 }),
  functionConcurrency: fc.integer({ min: 1, max: 50 }),
}).map(({ base, ...rest }) => ({ ...base, ...rest }));

const FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'timestamp', 'date'] as const;

/** A valid dataset of a classification: handlings the classification allows, an id field that is stable. */
export function validDataset(name: string): fc.Arbitrary<DatasetConfig> {
  return fc.record({
    classification: fc.constantFrom(...CLASSIFICATIONS),
    url: plainHttpsUrl,
    schedule: fc.constantFrom('rate(1 hour)', 'rate(15 minutes)', 'rate(1 day)', 'cron(0 6 * * ? *)', 'cron(0/30 * ? * MON-FRI *)'),
    auth: fc.option(plainHttpsUrl, { nil: undefined }),
    others: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/).filter((n) => n !== 'id'), { minLength: 1, maxLength: 4 }),
    types: fc.array(fc.constantFrom(...FIELD_TYPES), { minLength: 4, maxLength: 4 }),
    handlings: fc.array(fc.constantFrom('mask', 'tokenize', 'encrypt', 'drop', 'keep'), { minLength: 4, maxLength: 4 }),
  }).map(({ classification, url, schedule, auth, others, types, handlings }) => {
    const restricted = classification === Classification.RESTRICTED;
    const fields: FieldConfig[] = [
      { name: 'id', type: 'string', handling: restricted ? 'tokenize' : 'keep', classification, required: true },
      ...others.map((field, i): FieldConfig => {
        const type = types[i]!;
        let handling = handlings[i]!;
        if (handling === 'keep' && restricted) handling = 'encrypt';
        if (handling === 'mask' && type !== 'string') handling = 'tokenize';
        if (i === 0 && handling === 'drop') handling = 'encrypt';
        return { name: field, type, handling, classification, required: false, ...(handling === 'mask' ? { maskKeepSuffix: 4 } : {}) };
      }),
    ];
    return {
      name, classification, idField: 'id', fields,
      source: { url, schedule, maxResponseBytes: 1024 * 1024, ...(auth ? { auth: { tokenUrl: auth } } : {}) },
    };
  });
}

/** One to `max` valid datasets with distinct names, resolved through the validator (as a loaded file would be). */
export function validDatasets(max: number): fc.Arbitrary<DatasetsConfig> {
  return fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{2,12}$/), { minLength: 1, maxLength: max })
    .chain((names) => fc.tuple(...names.map(validDataset)))
    .map((datasets) => validateDatasetsConfig({ datasets }));
}

/** A few valid configs by hand, to build constructs against when datasets are not what is varied. */
export function exampleDatasets(): DatasetsConfig {
  return fc.sample(validDatasets(3), { numRuns: 1, seed: 42 })[0]!;
}

/**
 * The same props, with "bad" values drawn from {@link anything} (for the keys given, all by default): some happen to
 * be valid, so only the kind of outcome is checked.
 */
export function withAnything<P extends Record<string, unknown>>(
  specs: { readonly [K in keyof P]: PropSpec<P[K]> },
  keys: ReadonlyArray<keyof P> = Object.keys(specs),
): { readonly [K in keyof P]: PropSpec<P[K]> } {
  return Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, keys.includes(key) ? { ...(spec as PropSpec), bad: anything } : spec])) as { readonly [K in keyof P]: PropSpec<P[K]> };
}

/**
 * Run counts: many for construction without synthesis, a handful for the synthesis with every pack. Raise them
 * for a longer hunt with PROPERTY_RUNS / PROPERTY_SYNTH_RUNS.
 */
export const MANY = { numRuns: Number(process.env.PROPERTY_RUNS ?? 120) };
export const FEW = { numRuns: Number(process.env.PROPERTY_SYNTH_RUNS ?? 3) };

// ---------------------------------------------------------------------------------------------------------------
// The three properties every construct file runs

export interface ConstructPropertyOptions<C, P extends Record<string, unknown>> {
  /** Parts built once in a shared stack (keys, network, ...) for the constructions without synthesis. */
  readonly setup: (stack: Stack) => C;
  readonly specs: (context: C) => { readonly [K in keyof P]: PropSpec<P[K]> };
  /** Builds the construct from generated props; each call gets a fresh id. */
  readonly build: (stack: Stack, id: string, props: P, context: C) => unknown;
  /** Builds the construct and what it needs in a fresh stack, for the synthesis with every pack. */
  readonly synthesize: (stack: Stack, props: P) => void;
  /** The property for generated props with known bad keys. @default expectOutcome */
  readonly expect?: (outcome: Outcome, bad: readonly string[]) => void;
  /** Fraction of MANY for the constructions (for constructs that are slow to build). @default 1 */
  readonly share?: number;
  /** Synthesis runs. @default FEW */
  readonly synthRuns?: number;
  /** Props that get arbitrary values in the second property. @default all */
  readonly arbitraryKeys?: ReadonlyArray<keyof P>;
}

/**
 * Careless props are refused naming each and valid ones build; arbitrary values give a ConfigurationError or a
 * construct, never another error; a handful of valid props synthesize a template that passes every pack.
 */
export function constructProperties<C, P extends Record<string, unknown>>(name: string, options: ConstructPropertyOptions<C, P>): void {
  const runs = { numRuns: Math.max(1, Math.ceil(MANY.numRuns * (options.share ?? 1))) };
  describe(`${name} property`, () => {
    let stack: Stack;
    let context: C;
    let count = 0;
    beforeAll(() => {
      stack = testStack();
      context = options.setup(stack);
    });

    test('careless props are refused naming each; valid ones build', () => {
      fc.assert(fc.property(propsOf<P>(options.specs(context)), ({ props, bad }) => {
        (options.expect ?? expectOutcome)(attempt(() => options.build(stack, `Careless${count++}`, props, context)), bad);
      }), runs);
    });

    test('arbitrary values give a ConfigurationError or a construct, never another error', () => {
      fc.assert(fc.property(propsOf<P>(withAnything(options.specs(context), options.arbitraryKeys), 0.4), ({ props }) => {
        attempt(() => options.build(stack, `Any${count++}`, props, context));
      }), runs);
    });

    test('valid props synthesize a template that passes every pack', () => {
      fc.assert(fc.property(propsOf<P>(options.specs(context), 0), ({ props }) => {
        expectEveryPackPasses((s) => options.synthesize(s, props));
      }), { numRuns: options.synthRuns ?? FEW.numRuns });
    });
  });
}

/** The keys and network most constructs take, as a stack of the pipeline would have them. */
export interface Platform {
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
}

export function platform(stack: Stack, egress = false): Platform {
  const keys = new DataKeys(stack, 'Keys');
  // With keys, a profile and the S3 prefix list, the network closes its default group and isolated functions reach S3.
  return { keys, network: new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, egress, keys, profile: PROFILES.dev, s3PrefixListId: 'pl-6da54004' }) };
}
