/**
 * Ingest field handling vs the floor node:crypto sets: the real `applyFieldHandlings` on a realistic Restricted
 * record (patient_visits of examples/datasets.json: keep, tokenize, encrypt ×2, mask, drop) with a local KMS (no
 * AWS; data keys reused as in production, up to 1000 values / 5 min), against a plain loop calling the same
 * primitives directly: HMAC-SHA256, AES-256-GCM under one cached data key, the mask, the same output strings.
 */
import { createCipheriv, createHmac, randomBytes, randomFillSync } from 'node:crypto';
import * as path from 'node:path';
import { loadDatasetsConfig } from '../lib/config/datasets';
import type { DatasetConfig } from '../lib/config/datasets';
import { applyFieldHandlings, EnvelopeEncryptor, TokenizationKey } from '../lambda/shared/field-handling';
import { LOCAL_KEY_ID, localKms } from '../scripts/local-run/fakes';
import { alternate, compare, Measure, median, summarize, Target } from './stats';

export const INGEST_TARGET: Target = { op: '>=', value: 0.9, of: 'ratio' };

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Tim', 'Zoë', 'José'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Berners-Lee'];
const CODES = ['I10', 'E11.9', 'J45.909', 'M54.5', 'K21.9', 'F41.1', 'Z00.00', 'R51'];

/** `count` patient visits as a source API sends them: every declared field, notes to drop, one undeclared field. */
export function patientVisits(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    visit_id: `visit-${String(100000 + i)}`,
    visit_date: `2024-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    patient_id: `P-${String(10_000_000 + ((i * 7919) % 9_000_000))}`,
    patient_name: `${FIRST[i % FIRST.length]} ${LAST[(i * 3) % LAST.length]}`,
    diagnosis_code: CODES[i % CODES.length],
    card_number: String(4_000_000_000_000_000 + i * 104_729),
    clinician_notes: `Follow-up in ${1 + (i % 6)} weeks. Patient reports improvement; continue current medication and review blood pressure readings at the next visit.`,
    source_system: 'ehr-eu-1',
  }));
}

export function patientVisitsDataset(root: string): DatasetConfig {
  const dataset = loadDatasetsConfig(path.join(root, 'examples', 'datasets.json')).datasets.find((d) => d.name === 'patient_visits');
  if (!dataset) throw new Error('examples/datasets.json has no patient_visits dataset; the ingest bench uses it');
  return dataset;
}

/**
 * The plain loop: the same outputs from node:crypto called directly, one data key for everything. `pooledIvs`
 * draws IVs from one randomFillSync per 512 values, as EnvelopeEncryptor does since this bench; the headline floor
 * is without it (one randomBytes(12) per value, the direct call), the pooled floor is reported beside it.
 */
export function plainLoop(records: readonly Record<string, unknown>[], tokenKey: Buffer, pooledIvs = false): () => number {
  const dataKey = randomBytes(32);
  const pool = Buffer.alloc(12 * 512);
  let offset = pool.length;
  const nextIv = () => {
    if (!pooledIvs) return randomBytes(12);
    if (offset >= pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += 12;
    return pool.subarray(offset - 12, offset);
  };
  const encryptedKey = randomBytes(184).toString('base64'); // the size of a KMS CiphertextBlob for AES_256
  const seal = (text: string, field: string) => {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
    cipher.setAAD(Buffer.from(`["enc:v1:","patient_visits","${field}"]`));
    const ct = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return `enc:v1:${encryptedKey}:${iv.toString('base64')}:${ct.toString('base64')}:${cipher.getAuthTag().toString('base64')}`;
  };
  return () => {
    let sink = 0;
    for (const r of records) {
      const card = r.card_number as string;
      const out = {
        visit_id: r.visit_id,
        visit_date: r.visit_date,
        patient_id: `v1:${createHmac('sha256', tokenKey).update(r.patient_id as string, 'utf8').digest('hex')}`,
        patient_name: seal(r.patient_name as string, 'patient_name'),
        diagnosis_code: seal(r.diagnosis_code as string, 'diagnosis_code'),
        card_number: '*'.repeat(card.length - 4) + card.slice(-4),
      };
      sink += out.patient_name.length;
    }
    return sink;
  };
}

async function recordsPerSecond(records: number, run: () => unknown): Promise<number> {
  const started = performance.now();
  await run();
  return records / ((performance.now() - started) / 1000);
}

export async function benchIngest(root: string, runs: number, recordsPerRun = 20_000): Promise<Measure> {
  const dataset = patientVisitsDataset(root);
  const records = patientVisits(recordsPerRun);
  const tokenizationKey: TokenizationKey = { version: 1, secret: randomBytes(32) };
  // One encryptor for the whole measure, as one Lambda execution environment keeps it across invocations.
  const encryptor = new EnvelopeEncryptor({ kms: localKms(), keyId: LOCAL_KEY_ID });
  const deps = { tokenizationKey, encryptor };
  const plain = plainLoop(records, tokenizationKey.secret);
  const pooled = plainLoop(records, tokenizationKey.secret, true);
  const samples = await alternate({
    handling: () => recordsPerSecond(records.length, async () => {
      // One record after the other, as the ingest stage protects a page.
      for (const record of records) await applyFieldHandlings(record, dataset, deps);
    }),
    primitives: () => recordsPerSecond(records.length, plain),
    pooled: () => recordsPerSecond(records.length, pooled),
  }, runs);
  const pooledFloor = summarize('plain loop, pooled IVs', 'records/s', samples.pooled);
  return compare(
    'ingest-field-handling',
    'ingest field handling vs primitives',
    summarize('applyFieldHandlings (patient_visits)', 'records/s', samples.handling),
    summarize('plain node:crypto loop', 'records/s', samples.primitives),
    INGEST_TARGET,
    {
      notes: [
        `${recordsPerRun} records per run; keep ×2, tokenize, encrypt ×2, mask, drop; local KMS, data keys reused up to 1000 values`,
        'baseline draws one randomBytes(12) per IV; EnvelopeEncryptor pools IVs, so it is also compared with a pooled-IV plain loop (extra.ratioVsPooledFloor)',
      ],
      extra: {
        pooledFloorMedian: Math.round(pooledFloor.median),
        ratioVsPooledFloor: Number((median(samples.handling) / pooledFloor.median).toFixed(3)),
      },
    },
  );
}
