/**
 * Generated datasets configs for the synth bench: N datasets cycling through Public, Internal and Restricted
 * shapes (every field handling, string/number/timestamp/date/boolean/integer fields, sources with and without OAuth),
 * validated by the same validateDatasetsConfig the blueprint uses, so the bench never synthesizes a config a team
 * could not write.
 */
import { validateDatasetsConfig } from '../lib/config/datasets';
import type { DatasetsConfig } from '../lib/config/datasets';

type RawField = Record<string, unknown>;

function fieldsFor(kind: number): { classification: string; idField: string; fields: RawField[] } {
  switch (kind % 3) {
    case 0:
      return {
        classification: 'Public',
        idField: 'reading_id',
        fields: [
          { name: 'reading_id', type: 'string', maxLength: 64 },
          { name: 'station', type: 'string', maxLength: 32 },
          { name: 'observed_at', type: 'timestamp' },
          { name: 'value', type: 'number' },
          { name: 'valid', type: 'boolean', required: false },
        ],
      };
    case 1:
      return {
        classification: 'Internal',
        idField: 'order_id',
        fields: [
          { name: 'order_id', type: 'string', maxLength: 64 },
          { name: 'customer_email', type: 'string', handling: 'tokenize', maxLength: 254 },
          { name: 'amount', type: 'number' },
          { name: 'quantity', type: 'integer' },
          { name: 'status', type: 'string', maxLength: 32 },
          { name: 'postcode', type: 'string', handling: 'mask', maskKeepSuffix: 2, required: false, maxLength: 16 },
          { name: 'internal_note', type: 'string', handling: 'drop', required: false },
        ],
      };
    default:
      return {
        classification: 'Restricted',
        idField: 'visit_id',
        fields: [
          { name: 'visit_id', type: 'string', classification: 'Internal', handling: 'keep', maxLength: 64 },
          { name: 'visit_date', type: 'date', classification: 'Internal', handling: 'keep' },
          { name: 'patient_id', type: 'string', handling: 'tokenize', maxLength: 64 },
          { name: 'patient_name', type: 'string', handling: 'encrypt', maxLength: 200 },
          { name: 'diagnosis_code', type: 'string', handling: 'encrypt', maxLength: 16 },
          { name: 'card_number', type: 'string', handling: 'mask', maskKeepSuffix: 4, required: false, maxLength: 19 },
          { name: 'clinician_notes', type: 'string', handling: 'drop', required: false },
        ],
      };
  }
}

const KINDS = ['public_feed', 'internal_orders', 'restricted_visits'];

/**
 * The raw config (as a datasets.json would hold it) of `count` datasets, `perGroup` to a group (`group_00`, ...: each
 * group is a nested stack; 0: no groups, every dataset in the main stack).
 */
export function rawDatasets(count: number, perGroup = 10): { datasets: Record<string, unknown>[] } {
  if (!Number.isSafeInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  return {
    datasets: Array.from({ length: count }, (_, i) => {
      const { classification, idField, fields } = fieldsFor(i);
      // Names differ in more than "_" (the construct-id rule): the number is part of the name.
      const name = `${KINDS[i % 3]}_${String(i + 1).padStart(3, '0')}`;
      const withAuth = i % 2 === 1;
      return {
        name,
        classification,
        description: `Generated bench dataset ${i + 1}`,
        idField,
        source: {
          url: `https://api${i + 1}.example.com/v1/${name}`,
          schedule: i % 4 === 0 ? 'rate(15 minutes)' : 'rate(1 hour)',
          recordsPath: 'items',
          ...(withAuth ? { auth: { tokenUrl: `https://auth${i + 1}.example.com/oauth2/token`, scope: `${name}.read` } } : {}),
        },
        fields,
        ...(perGroup > 0 ? { group: `group_${String(Math.floor(i / perGroup)).padStart(2, '0')}` } : {}),
      };
    }),
  };
}

export function benchDatasets(count: number, perGroup = 10): DatasetsConfig {
  return validateDatasetsConfig(rawDatasets(count, perGroup), `generated config (${count} datasets)`);
}
