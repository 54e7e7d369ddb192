import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Classification } from '../../lib/classification';
import {
  loadDatasetsConfig,
  MSK_STANDARD_BROKER_TYPES,
  POSTGRES_18_INSTANCE_CLASSES,
  profileOverridesFromContext,
  PROFILES,
  resolveProfile,
  validateDatasetConfig,
  validateDatasetsConfig,
  validateProfile,
} from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { EXAMPLE_DATASETS } from '../helpers/app';

function dataset(overrides: Record<string, unknown> = {}, fields?: unknown[]) {
  return {
    name: 'patients',
    classification: 'Restricted',
    idField: 'id',
    source: { url: 'https://api.example.com/patients' },
    fields: fields ?? [
      { name: 'id', type: 'string', handling: 'tokenize' },
      { name: 'ssn', type: 'string', handling: 'encrypt' },
    ],
    ...overrides,
  };
}

function problemsOf(raw: unknown): ConfigurationError {
  try {
    validateDatasetsConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigurationError);
    return e as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('datasets config', () => {
  test('the checked-in example has one dataset of each classification and validates', () => {
    const config = loadDatasetsConfig(EXAMPLE_DATASETS);
    expect(config.datasets.map((d) => d.classification).sort()).toEqual(['Internal', 'Public', 'Restricted']);
    const handlings = new Set(config.datasets.flatMap((d) => d.fields.map((f) => f.handling)));
    expect([...handlings].sort()).toEqual(['drop', 'encrypt', 'keep', 'mask', 'tokenize']);
  });

  test('defaults are resolved: handling from the classification, field classification from the dataset', () => {
    const config = validateDatasetsConfig({ datasets: [dataset({}, [
      { name: 'id', type: 'string', handling: 'tokenize' },
      { name: 'diagnosis', type: 'string' },
      { name: 'visit_day', type: 'date', classification: 'Internal' },
    ])] });
    const [d] = config.datasets;
    expect(d!.fields.find((f) => f.name === 'diagnosis')).toMatchObject({ handling: 'tokenize', classification: 'Restricted', required: true });
    expect(d!.fields.find((f) => f.name === 'visit_day')).toMatchObject({ handling: 'keep', classification: 'Internal' });
    expect(d!.source.schedule).toBe('rate(1 hour)');
  });

  test('a Restricted field with keep is refused, naming dataset, field and fix', () => {
    const err = problemsOf({ datasets: [dataset({}, [
      { name: 'id', type: 'string', handling: 'tokenize' },
      { name: 'ssn', type: 'string', handling: 'keep' },
    ])] });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.path).toBe('datasets[0] "patients".fields.ssn.handling');
    expect(err.problems[0]!.problem).toMatch(/"keep" is not allowed for Restricted fields/);
    expect(err.problems[0]!.fix).toMatch(/mask, tokenize, encrypt, drop/);
    expect(err.message).toContain('patients');
  });

  test('every problem is reported at once', () => {
    const err = problemsOf({ datasets: [
      dataset({ source: { url: 'http://user:pw@api.example.com/x?api_key=abc' } }, [
        { name: 'id', type: 'string', handling: 'encrypt' },
        { name: 'ssn', type: 'string', handling: 'keep' },
        { name: 'age', type: 'integer', handling: 'mask', maxLength: 3 },
        { name: 'ssn', type: 'string', handling: 'drop' },
      ]),
      dataset({ name: 'patients', classification: 'Internal' }, [
        { name: 'id', type: 'string' },
        { name: 'secret_note', type: 'string', classification: 'Restricted', handling: 'encrypt' },
        { name: 'note', type: 'string', maskKeepSuffix: 2 },
      ]),
    ] });
    const paths = err.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining([
      'datasets[0] "patients".source.url', // http
      'datasets[0] "patients".fields.id.handling', // unstable id
      'datasets[0] "patients".fields.ssn.handling', // keep on Restricted
      'datasets[0] "patients".fields.age.handling', // mask on integer
      'datasets[0] "patients".fields.age.maxLength',
      'datasets[0] "patients".fields.ssn', // duplicate field
      'datasets[1] "patients".fields.secret_note.classification', // higher than dataset
      'datasets[1] "patients".fields.note.maskKeepSuffix',
      'datasets[1] "patients"', // duplicate dataset
    ]));
    const url = err.problems.filter((p) => p.path.endsWith('source.url')).map((p) => p.problem).join(' | ');
    expect(url).toMatch(/not HTTPS/);
    expect(url).toMatch(/credentials/);
    expect(url).toMatch(/"api_key" looks like a credential/);
    for (const p of err.problems) expect(p.fix.length).toBeGreaterThan(5);
  });

  test('the source token URL follows the same HTTPS rules as the source URL', () => {
    const err = problemsOf({ datasets: [dataset({ source: { url: 'https://api.example.com/x', auth: { tokenUrl: 'http://auth.example.com/token?client_secret=x' } } })] });
    expect(err.problems.map((p) => `${p.path}: ${p.problem}`)).toEqual([
      'datasets[0] "patients".source.auth.tokenUrl: uses http, not HTTPS',
      'datasets[0] "patients".source.auth.tokenUrl: query parameter "client_secret" looks like a credential',
    ]);
    const ok = validateDatasetsConfig({ datasets: [dataset({ source: { url: 'https://api.example.com/x', auth: { tokenUrl: 'https://auth.example.com/token', scope: 'read' } } })] });
    expect(ok.datasets[0]!.source.auth).toEqual({ tokenUrl: 'https://auth.example.com/token', scope: 'read' });
  });

  test('shape errors name the dataset and the unknown key', () => {
    const err = problemsOf({ datasets: [dataset({ clasification: 'Public' }, [
      { name: 'id', type: 'string', handling: 'tokenize' },
      { name: 'Bad-Name', type: 'text' },
    ])] });
    const text = err.message;
    expect(text).toContain('datasets[0] "patients"');
    expect(text).toMatch(/clasification/);
    expect(text).toMatch(/fields\[1\]\.name/);
    expect(text).toMatch(/fields\[1\]\.type/);
  });

  test('an id field that is missing or optional is refused', () => {
    const err = problemsOf({ datasets: [
      dataset({ idField: 'nope' }),
      dataset({ name: 'other' }, [{ name: 'id', type: 'string', handling: 'tokenize', required: false }, { name: 'x', type: 'string' }]),
    ] });
    expect(err.problems.map((p) => p.path)).toEqual([
      'datasets[0] "patients".idField',
      'datasets[1] "other".fields.id.required',
    ]);
  });

  test('unreadable or malformed files are reported with the path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-cfg-'));
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{ "datasets": [ }');
    expect(() => loadDatasetsConfig(bad)).toThrow(/bad\.json: is not valid JSON/);
    expect(() => loadDatasetsConfig(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot be read/);
  });

  test('property: any Restricted field kept in the clear is refused and named, whatever else the config holds', () => {
    const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/).filter((n) => n !== 'id');
    fc.assert(fc.property(
      fc.uniqueArray(fieldName, { minLength: 1, maxLength: 6 }),
      fc.nat(),
      fc.constantFrom('Public', 'Internal', 'Restricted'),
      (names, pick, other) => {
        const kept = names[pick % names.length]!;
        const fields = [{ name: 'id', type: 'string', handling: 'tokenize' }, ...names.map((n) => ({
          name: n,
          type: 'string',
          handling: n === kept ? 'keep' : 'encrypt',
        }))];
        const err = problemsOf({ datasets: [dataset({}, fields), dataset({ name: 'other', classification: other }, [
          { name: 'id', type: 'string', handling: 'tokenize' }, { name: 'value', type: 'string', handling: 'encrypt' },
        ])] });
        return err.problems.some((p) => p.path === `datasets[0] "patients".fields.${kept}.handling`);
      },
    ), { numRuns: 100 });
  });
});

describe('datasets config: what used to get through', () => {
  test.each([
    ['rate(1 hours)', /needs the singular unit for 1/],
    ['rate(5 hour)', /needs the plural unit for 5/],
    ['rate(0 minutes)', /is not a positive whole number/],
    ['rate(2 weeks)', /"weeks" is not a rate unit/],
    ['cron(0 6 * * *)', /has 5 fields; EventBridge takes six/],
    ['cron(0 0 6 * * ? *)', /has 7 fields/],
    ['cron(0 6 * * * *)', /exactly one of day-of-month and day-of-week must be "\?"/],
    ['cron(61 6 * * ? *)', /minutes "61" is not valid/],
    ['cron(0 6 ? * MON-FRI *)', undefined],
    ['cron(0/15 * * * ? *)', undefined],
    ['cron(0 10 ? * 6L 2026-2030)', undefined],
    ['rate(1 day)', undefined],
    ['rate(15 minutes)', undefined],
  ])('schedule %s', (schedule, expected) => {
    const config = { datasets: [dataset({ source: { url: 'https://api.example.com/p', schedule } })] };
    if (expected === undefined) {
      expect(validateDatasetsConfig(config).datasets[0]!.source.schedule).toBe(schedule);
    } else {
      const err = problemsOf(config);
      expect(err.problems).toEqual([expect.objectContaining({ path: 'datasets[0] "patients".source.schedule', problem: expect.stringMatching(expected) })]);
    }
  });

  test.each([
    ['https://api.example.com/x?auth_token=abc', /"auth_token" looks like a credential/],
    ['https://api.example.com/x?X-Api-Key=abc', /"X-Api-Key" looks like a credential/],
    ['https://api.example.com/x?session_token=abc', /"session_token" looks like a credential/],
    ['https://api.example.com/x?API.KEY=abc', /"API\.KEY" looks like a credential/],
    ['https://api.example.com/x?X-Amz-Signature=abc&X-Amz-Credential=def', /"X-Amz-Signature" looks like a credential/],
    ['https://api.example.com/x#access_token=abc', /fragment parameter "access_token" looks like a credential/],
    ['https://api.example.com/x?page=1;password=abc', /"password" looks like a credential/],
    ['https://api.example.com/x?q=AKIAABCDEFGHIJKLMNOP', /the value of query parameter "q" looks like a secret/],
    ['https://user@api.example.com/x', /contains credentials/],
  ])('credential in %s is refused', (url, expected) => {
    const err = problemsOf({ datasets: [dataset({ source: { url } })] });
    expect(err.problems.map((p) => `${p.path}: ${p.problem}`).join('\n')).toMatch(expected);
    expect(err.problems.every((p) => p.path === 'datasets[0] "patients".source.url')).toBe(true);
  });

  test('a paging cursor or an ordinary parameter is not a credential', () => {
    const ok = validateDatasetsConfig({ datasets: [dataset({ source: { url: 'https://api.example.com/x?pageToken=abc&limit=100&sort_key=id' } })] });
    expect(ok.datasets[0]!.source.url).toContain('pageToken');
  });

  test.each([
    ['customerorders'], ['customer__orders'], ['customer_orders_'],
  ])('dataset names that differ only by "_" are refused, naming both: customer_orders vs %s', (other) => {
    const err = problemsOf({ datasets: [dataset({ name: 'customer_orders' }), dataset({ name: other })] });
    expect(err.problems).toEqual([{
      path: `datasets[1] "${other}"`,
      problem: 'differs from datasets[0] "customer_orders" only by "_", so their construct ids collide',
      fix: expect.stringMatching(/rename one/),
    }]);
  });

  test('a config built in code and already resolved validates to an equal config (constructs re-validate it)', () => {
    const loaded = loadDatasetsConfig(EXAMPLE_DATASETS);
    expect(validateDatasetsConfig(loaded)).toEqual(loaded);
    expect(validateDatasetConfig(loaded.datasets[0])).toEqual(loaded.datasets[0]);
  });

  test('one dataset validated on its own is named "dataset", with every problem', () => {
    const loaded = loadDatasetsConfig(EXAMPLE_DATASETS);
    const restricted = loaded.datasets.find((d) => d.classification === Classification.RESTRICTED)!;
    const careless = { ...restricted, source: { ...restricted.source, url: 'http://api.example.com/x' }, fields: restricted.fields.map((f) => ({ ...f, handling: 'keep' as const })) };
    try {
      validateDatasetConfig(careless, 'IngestStage props.dataset');
      throw new Error('expected a ConfigurationError');
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      const err = e as ConfigurationError;
      expect(err.message).toMatch(/^Invalid IngestStage props\.dataset/);
      expect(err.problems.map((p) => p.path)).toEqual(expect.arrayContaining([
        `dataset "${restricted.name}".source.url`,
        ...restricted.fields.filter((f) => f.name !== restricted.idField && f.classification === Classification.RESTRICTED).map((f) => `dataset "${restricted.name}".fields.${f.name}.handling`),
      ]));
    }
  });
});

describe('profiles: what used to get through', () => {
  test('instance classes RDS does not offer for PostgreSQL 18 and broker sizes MSK does not have are refused', () => {
    expect(() => resolveProfile('dev', { databaseInstanceType: 't3.micro' })).toThrow(/profileOverrides\.databaseInstanceType: is not an instance class RDS offers for PostgreSQL 18/);
    expect(() => resolveProfile('dev', { databaseInstanceType: 'db.t4g.medium' })).toThrow(/databaseInstanceType/);
    expect(() => resolveProfile('dev', { brokerInstanceType: 'kafka.t3.micro' })).toThrow(/brokerInstanceType: is not an MSK Standard broker size/);
    expect(() => validateProfile({ ...PROFILES.prod, functionConcurrency: '20' }, 'profile')).toThrow(/profile\.functionConcurrency/);
  });

  test('both profiles use instance types the lists hold', () => {
    for (const profile of Object.values(PROFILES)) {
      expect(POSTGRES_18_INSTANCE_CLASSES.has(profile.databaseInstanceType)).toBe(true);
      expect(MSK_STANDARD_BROKER_TYPES.has(profile.brokerInstanceType)).toBe(true);
      expect(validateProfile(profile, 'profile')).toEqual(profile);
    }
  });
});

describe('profiles', () => {
  test('dev and prod differ where they should', () => {
    expect(PROFILES.dev).toMatchObject({ azCount: 2, databaseMultiAz: false, allowDestroy: true });
    expect(PROFILES.prod).toMatchObject({ azCount: 3, databaseMultiAz: true, allowDestroy: false });
    expect(PROFILES.prod.backupRetentionDays).toBeGreaterThan(PROFILES.dev.backupRetentionDays);
    expect(resolveProfile(undefined).name).toBe('dev');
  });

  test('unknown profiles and invalid or locked overrides are refused', () => {
    expect(() => resolveProfile('staging')).toThrow(/unknown profile "staging".*-c profile=dev or -c profile=prod/s);
    expect(() => resolveProfile('dev', { azCount: 7 })).toThrow(/profileOverrides\.azCount/);
    expect(() => resolveProfile('prod', { allowDestroy: true })).toThrow(/profileOverrides\.allowDestroy/);
    expect(resolveProfile('prod', { topicPartitions: 12 }).topicPartitions).toBe(12);
  });
});

describe('profiles: concurrency', () => {
  test('neither dev nor prod reserves concurrency: new accounts cannot spare it', () => {
    for (const profile of Object.values(PROFILES)) expect(profile.reservedConcurrency).toBeUndefined();
    expect(resolveProfile('prod').reservedConcurrency).toBeUndefined();
  });

  test('a profile override reserves: a whole number from 1, refused otherwise naming the field and the fix', () => {
    expect(resolveProfile('prod', { reservedConcurrency: 5 })).toMatchObject({ name: 'prod', reservedConcurrency: 5, functionConcurrency: 20 });
    expect(() => resolveProfile('dev', { reservedConcurrency: 0 }))
      .toThrow(/profileOverrides\.reservedConcurrency: Too small.*Fix: use a value of at least 1/);
    expect(() => resolveProfile('dev', { reservedConcurrency: 2.5 })).toThrow(/profileOverrides\.reservedConcurrency/);
    expect(() => validateProfile({ ...PROFILES.dev, reservedConcurrency: '5' }, 'profile')).toThrow(/profile\.reservedConcurrency/);
  });

  test('the blueprint reads it from -c reservedConcurrency=N; a value that is not a whole number is refused by name', () => {
    const context = (values: Record<string, unknown>) => (key: string) => values[key];
    expect(profileOverridesFromContext(context({}))).toEqual({});
    expect(resolveProfile('dev', profileOverridesFromContext(context({ reservedConcurrency: '3' }))).reservedConcurrency).toBe(3);
    expect(() => resolveProfile('dev', profileOverridesFromContext(context({ reservedConcurrency: 'lots' }))))
      .toThrow(/profileOverrides\.reservedConcurrency/);
  });
});

test('Classification enum values are what configs use', () => {
  expect(Object.values(Classification)).toEqual(['Public', 'Internal', 'Restricted']);
});
