/**
 * Datasets configs of any size for scale tests: every classification, every field handling its classification
 * allows, with and without source auth, `perGroup` datasets per group (0: no groups). Deterministic.
 */
import { DatasetsConfig, validateDatasetsConfig } from '../../lib/config';

const KINDS = ['Public', 'Internal', 'Restricted'] as const;

export function generatedDatasets(count: number, perGroup = 10): DatasetsConfig {
  const datasets = Array.from({ length: count }, (_, i) => {
    const classification = KINDS[i % 3]!;
    const name = `dataset_${String(i).padStart(3, '0')}`;
    const fields: Record<string, unknown>[] = [
      { name: 'record_id', type: 'string', maxLength: 64, ...(classification === 'Restricted' ? { classification: 'Internal', handling: 'keep' } : {}) },
      { name: 'observed_at', type: 'timestamp' },
      { name: 'amount', type: 'number', required: false },
    ];
    if (classification !== 'Public') {
      fields.push({ name: 'email', type: 'string', handling: 'tokenize', maxLength: 254 });
      fields.push({ name: 'postcode', type: 'string', handling: 'mask', maskKeepSuffix: 2, required: false, maxLength: 16 });
    }
    if (classification === 'Restricted') {
      fields.push({ name: 'diagnosis', type: 'string', handling: 'encrypt', maxLength: 200 });
      fields.push({ name: 'notes', type: 'string', handling: 'drop', required: false });
    }
    const host = `source${i}.example.com`;
    return {
      name,
      classification,
      idField: 'record_id',
      source: {
        url: `https://${host}/api/records`,
        schedule: 'rate(1 hour)',
        recordsPath: 'items',
        ...(i % 2 === 1 ? { auth: { tokenUrl: `https://${host}/oauth/token`, scope: 'records.read' } } : {}),
      },
      fields,
      ...(perGroup > 0 ? { group: `group_${String(Math.floor(i / perGroup)).padStart(2, '0')}` } : {}),
    };
  });
  return validateDatasetsConfig({ datasets }, `${count} generated datasets`);
}
