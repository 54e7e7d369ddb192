import * as path from 'path';
import { Logger } from '@aws-lambda-powertools/logger';
import fc from 'fast-check';
import { Classification } from '../../../../lib/classification';
import { DatasetConfig, FieldConfig, loadDatasetsConfig } from '../../../../lib/config/datasets';
import { logRecord, RecordLogLevel, REDACTED, redactForLog } from '../../../../lambda/shared/field-handling';
import { datasetArb, isMeaningfulSecret, plaintextOf, recordArb, stringLeaves } from './records';

const EXAMPLES = loadDatasetsConfig(path.join(__dirname, '../../../../examples/datasets.json')).datasets;
const byName = (name: string) => EXAMPLES.find((d) => d.name === name) as DatasetConfig;
const own = (record: Record<string, unknown>, name: string) => (Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined);
const shows = (field: FieldConfig, dataset: DatasetConfig) =>
  field.handling === 'keep' && field.classification !== Classification.RESTRICTED
  && (field.name === dataset.idField || field.classification === Classification.PUBLIC);

/** Captures what a Powertools Logger writes (it prints through a Console on process.stdout / process.stderr). */
function captureLogs() {
  const lines: string[] = [];
  const capture = (chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.trim() !== ''));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  return {
    lines,
    entries: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

describe('redactForLog with a Powertools Logger', () => {
  let logger: Logger;
  let child: Logger;
  let logs: ReturnType<typeof captureLogs>;
  const LEVELS: RecordLogLevel[] = ['debug', 'info', 'warn', 'error'];

  beforeEach(() => {
    delete process.env.POWERTOOLS_DEV; // dev mode would print through the global console instead
    logs = captureLogs();
    logger = new Logger({ serviceName: 'ingest', logLevel: 'DEBUG' });
    child = logger.createChild({ persistentKeys: { stage: 'validate' } });
  });
  afterEach(() => logs.restore());

  /** Logs the record both ways a handler may, then checks the captured output. */
  function logAndCheck(record: Record<string, unknown>, dataset: DatasetConfig, level: RecordLogLevel): number {
    logs.lines.length = 0;
    logRecord(logger, level, 'record quarantined', record, dataset);
    child[level]('record skipped', { record: redactForLog(record, dataset) });
    const entries = logs.entries();
    expect(entries).toHaveLength(2);

    // What is shown: the id and Public keep fields; every other declared field present is the marker (or null).
    const expected: Record<string, unknown> = {};
    for (const field of dataset.fields) {
      if (!Object.prototype.hasOwnProperty.call(record, field.name)) continue;
      const v = record[field.name];
      expected[field.name] = v === null || v === undefined ? null : shows(field, dataset) ? plaintextOf(v) === undefined ? REDACTED : (v instanceof Date ? v.toISOString() : v) : REDACTED;
    }
    for (const entry of entries) {
      expect(entry.record).toEqual(JSON.parse(JSON.stringify(expected))); // as JSON carries it (-0 → 0)
      expect(entry.level).toBe(level.toUpperCase());
    }
    expect(entries[0].dataset).toBe(dataset.name);

    // What must not be: the whole value of every field that is not shown, and of every undeclared field.
    const shown = [
      ...dataset.fields.filter((f) => shows(f, dataset)).map((f) => plaintextOf(own(record, f.name)) ?? ''),
      ...dataset.fields.map((f) => f.name),
      dataset.name, 'record quarantined', 'record skipped', REDACTED, 'ingest', 'validate',
    ];
    const secrets = [
      ...dataset.fields.filter((f) => !shows(f, dataset)).map((f) => plaintextOf(own(record, f.name))),
      ...Object.entries(record).filter(([k]) => !dataset.fields.some((f) => f.name === k)).flatMap(([, v]) => stringLeaves(v)),
    ].filter((s): s is string => s !== undefined && isMeaningfulSecret(s, shown));
    const logged = entries.flatMap(stringLeaves);
    for (const secret of secrets) {
      for (const s of logged) expect(s).not.toContain(secret);
      // Also on the raw text, in case a value were logged escaped differently.
      for (const line of logs.lines) expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
    }
    return secrets.length;
  }

  test.each(EXAMPLES.map((d) => [d.name, d] as const))(
    'logs of any %s record show only the id and Public keep values, never protected or Internal ones',
    (_name, dataset) => {
      let checked = 0;
      fc.assert(
        fc.property(recordArb(dataset), fc.constantFrom(...LEVELS), (record, level) => {
          checked += logAndCheck(record, dataset, level);
        }),
      );
      expect(checked).toBeGreaterThan(50); // undeclared fields at least, and every Internal/Restricted value
    },
  );

  test('logs of records of any dataset config never show values that are not shown by the rules', () => {
    fc.assert(
      fc.property(datasetArb.chain((d) => fc.tuple(fc.constant(d), recordArb(d))), fc.constantFrom(...LEVELS), ([dataset, record], level) => {
        logAndCheck(record, dataset, level);
      }),
      { numRuns: 150 },
    );
  });

  test('a patient_visits record logs its id and markers only', () => {
    const record = {
      visit_id: 'V-1001',
      visit_date: '2024-05-01',
      patient_id: 'P-778899',
      patient_name: 'Ada Lovelace',
      card_number: '4111111111111111',
      clinician_notes: null,
      ssn: '078-05-1120',
    };
    logRecord(logger, 'warn', 'quarantined', record, byName('patient_visits'));
    const [entry] = logs.entries();
    expect(entry).toMatchObject({
      level: 'WARN',
      message: 'quarantined',
      service: 'ingest',
      dataset: 'patient_visits',
      record: {
        visit_id: 'V-1001',
        visit_date: REDACTED, // Internal, although kept in the output
        patient_id: REDACTED,
        patient_name: REDACTED,
        card_number: REDACTED,
        clinician_notes: null,
      },
    });
    expect(Object.keys(entry.record as object)).not.toContain('ssn');
    for (const secret of ['2024-05-01', 'P-778899', 'Ada Lovelace', '4111', '078-05-1120']) {
      expect(logs.lines.join('\n')).not.toContain(secret);
    }
  });

  test('a Public record logs its kept values; a non-scalar value is redacted even there', () => {
    const weather = byName('weather_observations');
    const when = new Date('2024-05-01T10:00:00Z');
    expect(redactForLog({ observation_id: 'o-1', station: 'EGLL', observed_at: when, temperature_c: 21.5, condition: { x: 'y' } }, weather)).toEqual({
      observation_id: 'o-1',
      station: 'EGLL',
      observed_at: '2024-05-01T10:00:00.000Z',
      temperature_c: 21.5,
      condition: REDACTED,
    });
  });

  test('an id field that is tokenized (not kept) is redacted too', () => {
    const dataset: DatasetConfig = {
      ...byName('customer_orders'),
      fields: byName('customer_orders').fields.map((f) => (f.name === 'order_id' ? { ...f, handling: 'tokenize' } : f)),
    };
    expect(redactForLog({ order_id: 'ORD-123456', currency: 'EUR' }, dataset)).toEqual({ order_id: REDACTED, currency: REDACTED });
  });
});
