import * as path from 'path';
import { randomBytes } from 'crypto';
import fc from 'fast-check';
import { DatasetConfig, FieldConfig, loadDatasetsConfig } from '../../../../lib/config/datasets';
import { Classification } from '../../../../lib/classification';
import {
  applyFieldHandlings,
  canonicalString,
  EncryptionScope,
  EnvelopeEncryptionError,
  EnvelopeEncryptor,
  FieldEncryptor,
  FieldHandlingError,
  FieldHandlingSetupError,
  mask,
  tokenize,
  TokenizationKey,
} from '../../../../lambda/shared/field-handling';
import { createFakeKms, FAKE_KEY_ARN, FakeKms } from './fake-kms';
import { datasetArb, isMeaningfulSecret, plaintextOf, recordArb, stringLeaves } from './records';

const EXAMPLES = loadDatasetsConfig(path.join(__dirname, '../../../../examples/datasets.json')).datasets;
const byName = (name: string) => {
  const d = EXAMPLES.find((x) => x.name === name);
  if (!d) throw new Error(`examples/datasets.json has no ${name}`);
  return d;
};
const TOKEN = /^v\d+:[0-9a-f]{64}$/;
const ENVELOPE = /^enc:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*:[A-Za-z0-9+/=]+$/;

/** Records each encrypt call, delegating to the real encryptor. */
class CountingEncryptor implements FieldEncryptor {
  public readonly calls: EncryptionScope[] = [];
  constructor(private readonly inner: EnvelopeEncryptor) {}
  public encrypt(plaintext: string, scope: EncryptionScope): Promise<string> {
    this.calls.push(scope);
    return this.inner.encrypt(plaintext, scope);
  }
}

describe('applyFieldHandlings (faked KMS)', () => {
  let kms: FakeKms;
  let encryptor: EnvelopeEncryptor;
  const tokenizationKey: TokenizationKey = { version: 2, secret: randomBytes(32) };

  beforeEach(() => {
    kms = createFakeKms();
    encryptor = new EnvelopeEncryptor({ kms: kms.client, keyId: FAKE_KEY_ARN, maxRecordsPerDataKey: 50 });
  });
  afterEach(() => kms.restore());

  /** Checks each output field against its handling, and that no field outside the config got through. */
  async function expectHandled(record: Record<string, unknown>, dataset: DatasetConfig, out: Record<string, unknown>, encryptCalls: EncryptionScope[]) {
    const expectedKeys = dataset.fields.filter((f) => f.handling !== 'drop').map((f) => f.name).sort();
    expect(Object.keys(out).sort()).toEqual(expectedKeys);
    let encrypted = 0;
    for (const field of dataset.fields) {
      const input = Object.prototype.hasOwnProperty.call(record, field.name) ? record[field.name] : undefined;
      const got = out[field.name];
      if (field.handling === 'drop') continue;
      if (input === null || input === undefined) {
        expect(got).toBeNull();
        continue;
      }
      switch (field.handling) {
        case 'keep':
          expect(got).toEqual(input instanceof Date ? input.toISOString() : input);
          break;
        case 'mask':
          expect(got).toBe(mask(canonicalString(input), field.maskKeepSuffix ?? 4));
          break;
        case 'tokenize':
          expect(got).toMatch(TOKEN);
          expect(got).toBe(tokenize(input, tokenizationKey));
          break;
        case 'encrypt':
          encrypted += 1;
          expect(got).toMatch(ENVELOPE);
          expect(await encryptor.decrypt(got as string, { dataset: dataset.name, field: field.name })).toBe(canonicalString(input));
          break;
      }
    }
    // Null values are neither tokenized nor encrypted.
    expect(encryptCalls).toHaveLength(encrypted);
  }

  /** The whole plaintext of every non-keep field must be absent from every string in the output. */
  function expectNoPlaintextOfProtectedFields(record: Record<string, unknown>, dataset: DatasetConfig, out: Record<string, unknown>) {
    const kept = dataset.fields.filter((f) => f.handling === 'keep').map((f) => plaintextOf(record[f.name]) ?? '');
    const shown = [...kept, ...dataset.fields.map((f) => f.name)];
    const outputStrings = stringLeaves(out);
    const secrets = [
      ...dataset.fields.filter((f) => f.handling !== 'keep').map((f) => plaintextOf(Object.prototype.hasOwnProperty.call(record, f.name) ? record[f.name] : undefined)),
      ...Object.entries(record).filter(([k]) => !dataset.fields.some((f) => f.name === k)).flatMap(([, v]) => stringLeaves(v)),
    ].filter((s): s is string => s !== undefined && isMeaningfulSecret(s, shown));
    for (const secret of secrets) {
      for (const s of outputStrings) expect(s).not.toContain(secret);
    }
    return secrets.length;
  }

  test.each(EXAMPLES.map((d) => [d.name, d] as const))(
    'handles every field of %s as configured, drops undeclared fields and leaks no protected plaintext',
    async (_name, dataset) => {
      let checkedSecrets = 0;
      await fc.assert(
        fc.asyncProperty(recordArb(dataset), async (record) => {
          const counting = new CountingEncryptor(encryptor);
          const out = await applyFieldHandlings(record, dataset, { tokenizationKey, encryptor: counting });
          await expectHandled(record, dataset, out, counting.calls);
          checkedSecrets += expectNoPlaintextOfProtectedFields(record, dataset, out);
        }),
      );
      if (dataset.classification !== Classification.PUBLIC) {
        expect(checkedSecrets).toBeGreaterThan(50); // the leak check really ran on many values
      }
    },
  );

  test('handles any dataset config (every type × handling × classification) the same way', async () => {
    await fc.assert(
      fc.asyncProperty(datasetArb.chain((d) => fc.tuple(fc.constant(d), recordArb(d))), async ([dataset, record]) => {
        const counting = new CountingEncryptor(encryptor);
        const out = await applyFieldHandlings(record, dataset, { tokenizationKey, encryptor: counting });
        await expectHandled(record, dataset, out, counting.calls);
        expectNoPlaintextOfProtectedFields(record, dataset, out);
      }),
      { numRuns: 150 },
    );
  });

  test('protects a patient_visits record as the example config says', async () => {
    const dataset = byName('patient_visits');
    const record = {
      visit_id: 'V-1001',
      visit_date: '2024-05-01',
      patient_id: 'P-778899',
      patient_name: 'Ada Lovelace',
      diagnosis_code: 'I10',
      card_number: '4111111111111111',
      clinician_notes: 'Patient reports chest pain',
      ssn: '078-05-1120',
    };
    const out = await applyFieldHandlings(record, dataset, { tokenizationKey, encryptor });
    expect(out).toEqual({
      visit_id: 'V-1001',
      visit_date: '2024-05-01',
      patient_id: tokenize('P-778899', tokenizationKey),
      patient_name: expect.stringMatching(ENVELOPE),
      diagnosis_code: expect.stringMatching(ENVELOPE),
      card_number: '************1111',
    });
    const json = JSON.stringify(out);
    for (const secret of ['P-778899', 'Ada Lovelace', 'Lovelace', '4111111111111111', 'chest pain', '078-05-1120', 'ssn']) {
      expect(json).not.toContain(secret);
    }
    expect(await encryptor.decrypt(out.patient_name as string, { dataset: 'patient_visits', field: 'patient_name' })).toBe('Ada Lovelace');
    expect(kms.generateDataKeyCalls().map((c) => c.EncryptionContext)).toEqual(
      expect.arrayContaining([
        { dataset: 'patient_visits', field: 'patient_name' },
        { dataset: 'patient_visits', field: 'diagnosis_code' },
      ]),
    );
  });

  test('gives equal values equal tokens across records and datasets, so joins work', async () => {
    const orders = byName('customer_orders');
    const a = await applyFieldHandlings({ order_id: 'o1', customer_email: 'ada@example.com' }, orders, { tokenizationKey, encryptor });
    const b = await applyFieldHandlings({ order_id: 'o2', customer_email: 'ada@example.com' }, orders, { tokenizationKey, encryptor });
    expect(a.customer_email).toBe(b.customer_email);
    expect(a.customer_email).toBe(tokenize('ada@example.com', tokenizationKey));
  });

  test('reads own properties only: a field named like an Object.prototype member is not filled from the prototype', async () => {
    const dataset: DatasetConfig = {
      ...byName('weather_observations'),
      fields: [
        { name: 'observation_id', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: true },
        { name: 'constructor', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: false },
        { name: 'to_string', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: false },
      ],
    };
    const out = await applyFieldHandlings({ observation_id: 'x' }, dataset, {});
    expect(out).toEqual({ observation_id: 'x', constructor: null, to_string: null });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  test.each<[string, unknown]>([
    ['an object', { nested: 'ada@example.com' }],
    ['an array', ['ada@example.com']],
    ['NaN', NaN],
    ['a lone surrogate', 'ada\ud800@example.com'],
  ])('quarantines (FieldHandlingError naming dataset and field, not the value) on %s', async (_name, value) => {
    const orders = byName('customer_orders');
    for (const field of ['customer_email', 'status', 'shipping_postcode']) {
      const promise = applyFieldHandlings({ order_id: 'o1', [field]: value }, orders, { tokenizationKey, encryptor });
      await expect(promise).rejects.toThrow(FieldHandlingError);
      await expect(promise).rejects.toThrow(`dataset "customer_orders", field "${field}"`);
      await expect(promise).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining('ada') }));
    }
  });

  test('refuses to start without a key or encryptor the config needs, even for an all-null record', async () => {
    const visits = byName('patient_visits');
    const promise = applyFieldHandlings({ visit_id: 'V1' }, visits, {});
    await expect(promise).rejects.toThrow(FieldHandlingSetupError);
    await expect(promise).rejects.toThrow(/field "patient_id" is tokenized but no tokenizationKey.*field "patient_name" is encrypted but no encryptor/);
  });

  test('the setup check still runs for a dataset already handled once, when the deps change', async () => {
    const visits = byName('patient_visits');
    await applyFieldHandlings({ visit_id: 'V1', patient_name: 'Ada' }, visits, { tokenizationKey, encryptor });
    // Same dataset object, now without the encryptor: refused before any value is touched, as on a first call.
    const promise = applyFieldHandlings({ visit_id: 'V2' }, visits, { tokenizationKey });
    await expect(promise).rejects.toThrow(FieldHandlingSetupError);
    await expect(promise).rejects.toThrow(/field "patient_name" is encrypted but no encryptor/);
  });

  test('a dataset object given new fields is checked and handled by its new fields', async () => {
    const dataset: DatasetConfig = {
      ...byName('weather_observations'),
      fields: [
        { name: 'observation_id', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: true },
        { name: 'station', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: true },
      ],
    };
    expect(await applyFieldHandlings({ observation_id: 'x', station: 's' }, dataset, {})).toEqual({ observation_id: 'x', station: 's' });
    (dataset as { fields: readonly FieldConfig[] }).fields = [
      dataset.fields[0]!,
      { name: 'station', type: 'string', handling: 'drop', classification: Classification.PUBLIC, required: true },
      { name: 'code', type: 'string', handling: 'hash' as FieldConfig['handling'], classification: Classification.PUBLIC, required: true },
    ];
    await expect(applyFieldHandlings({ observation_id: 'x', station: 's' }, dataset, {})).rejects.toThrow(/field "code" has unknown handling "hash"/);
    (dataset as { fields: readonly FieldConfig[] }).fields = dataset.fields.slice(0, 2);
    expect(await applyFieldHandlings({ observation_id: 'x', station: 's' }, dataset, {})).toEqual({ observation_id: 'x' });
  });

  test('fails closed on a handling it does not know', async () => {
    const dataset: DatasetConfig = {
      ...byName('weather_observations'),
      fields: [
        { name: 'observation_id', type: 'string', handling: 'keep', classification: Classification.PUBLIC, required: true },
        { name: 'station', type: 'string', handling: 'hash' as FieldConfig['handling'], classification: Classification.PUBLIC, required: true },
      ],
    };
    await expect(applyFieldHandlings({ observation_id: 'x', station: 's' }, dataset, {})).rejects.toThrow(/field "station" has unknown handling "hash"/);
  });

  test('lets KMS failures through as EnvelopeEncryptionError (retry, not quarantine) (faked KMS)', async () => {
    const broken = new EnvelopeEncryptor({ kms: kms.client, keyId: 'arn:aws:kms:eu-west-1:111122223333:key/missing' });
    const promise = applyFieldHandlings({ visit_id: 'V1', patient_name: 'Ada Lovelace' }, byName('patient_visits'), { tokenizationKey, encryptor: broken });
    await expect(promise).rejects.toThrow(EnvelopeEncryptionError);
    await expect(promise).rejects.not.toThrow(FieldHandlingError);
  });
});
