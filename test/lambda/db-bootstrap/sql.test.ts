/** The pure SQL generation and the persona decision table, without a database. */
import * as fc from 'fast-check';
import * as path from 'path';
import {
  bootstrapStatements,
  columnType,
  loaderSelectColumns,
  maskedViewColumns,
  personaAccess,
  quoteIdent,
  quoteLiteral,
  validateBootstrapOptions,
} from '../../../lambda/db-bootstrap/sql';
import { Classification, FieldHandling, Persona, policyFor } from '../../../lib/classification';
import { DatasetConfig, DatasetsConfig, FieldConfig, FieldType, loadDatasetsConfig, validateDatasetsConfig } from '../../../lib/config/datasets';
import { ConfigurationError } from '../../../lib/errors';

const EXAMPLE = loadDatasetsConfig(path.join(__dirname, '../../../examples/datasets.json'));
const OPTIONS = { schema: 'pipeline', loaderUser: 'pipeline_loader' };

function field(type: FieldType, handling: FieldHandling, extra: Partial<FieldConfig> = {}): FieldConfig {
  return { name: 'f', type, handling, classification: Classification.PUBLIC, required: true, ...extra };
}

function dataset(name: string): DatasetConfig {
  const found = EXAMPLE.datasets.find((d) => d.name === name);
  if (!found) throw new Error(name);
  return found;
}

describe('columnType', () => {
  test.each([
    ['string', 'keep', {}, 'text'],
    ['string', 'keep', { maxLength: 64 }, 'varchar(64)'],
    ['integer', 'keep', {}, 'bigint'],
    ['number', 'keep', {}, 'double precision'],
    ['boolean', 'keep', {}, 'boolean'],
    ['timestamp', 'keep', {}, 'timestamptz'],
    ['date', 'keep', {}, 'date'],
    ['string', 'tokenize', { maxLength: 64 }, 'text'],
    ['integer', 'encrypt', {}, 'text'],
    ['string', 'mask', { maxLength: 19 }, 'text'],
    ['string', 'drop', {}, undefined],
  ] as const)('%s with %s %j → %s', (type, handling, extra, expected) => {
    expect(columnType(field(type, handling, extra))).toBe(expected);
  });
});

describe('personaAccess (derived from policyFor)', () => {
  test('the example config', () => {
    const matrix = Object.fromEntries(EXAMPLE.datasets.map((d) => [d.name, Object.fromEntries(
      [Persona.ADMIN, Persona.DATA_SCIENTIST, Persona.ANALYST, Persona.VIEWER].map((p) => {
        const access = personaAccess(p, d);
        return [p, access.kind === 'table' || access.kind === 'none' ? access.kind : `${access.kind}: ${access.columns.join(',')}`];
      }))]));
    expect(matrix).toEqual({
      weather_observations: { Admin: 'table', DataScientist: 'table', Analyst: 'table', Viewer: 'table' },
      customer_orders: { Admin: 'table', DataScientist: 'table', Analyst: 'table', Viewer: 'none' },
      patient_visits: {
        Admin: 'table',
        DataScientist: 'columns: visit_id,visit_date,patient_id,card_number,_loaded_at,_source_object',
        Analyst: 'maskedView: visit_id,visit_date,card_number,_loaded_at',
        Viewer: 'none',
      },
    });
  });

  test('the loader reads only what an upsert by id needs, never _loaded_at', () => {
    expect(loaderSelectColumns(dataset('patient_visits'))).toEqual(
      ['visit_id', 'visit_date', 'patient_id', 'patient_name', 'diagnosis_code', 'card_number', '_source_object']);
  });

  /** Restricted datasets with arbitrary valid fields. */
  const restrictedDataset = fc
    .array(fc.record({
      type: fc.constantFrom<FieldType>('string', 'integer', 'number', 'boolean', 'timestamp', 'date'),
      classification: fc.constantFrom(Classification.PUBLIC, Classification.INTERNAL, Classification.RESTRICTED),
      pick: fc.nat(),
      tokenizedId: fc.boolean(),
    }), { minLength: 1, maxLength: 8 })
    .map((specs) => {
      const fields = specs.map((s, i) => {
        const allowed = policyFor(s.classification).allowedFieldHandlings;
        const handling = allowed[s.pick % allowed.length];
        return { name: `f${i}`, type: handling === 'mask' ? 'string' : s.type, classification: s.classification, handling };
      });
      const id = specs[0].tokenizedId
        ? { name: 'id', type: 'string', handling: 'tokenize' }
        : { name: 'id', type: 'string', handling: 'keep', classification: 'Internal' };
      return { name: 'ds', classification: 'Restricted', idField: 'id', source: { url: 'https://x.example.com/' }, fields: [id, ...fields] };
    });

  test('property: data scientists never get ciphertext, analysts never tokens or ciphertext, viewers nothing', () => {
    fc.assert(fc.property(restrictedDataset, (raw) => {
      let config: DatasetsConfig;
      try {
        config = validateDatasetsConfig({ datasets: [raw] });
      } catch {
        return; // e.g. every field dropped: not a config the bootstrap can receive
      }
      const d = config.datasets[0];
      const byName = new Map(d.fields.map((f) => [f.name, f]));
      const scientist = personaAccess(Persona.DATA_SCIENTIST, d);
      expect(scientist.kind).toBe('columns');
      if (scientist.kind !== 'columns') return;
      for (const f of d.fields) {
        expect(scientist.columns.includes(f.name)).toBe(f.handling !== 'encrypt' && f.handling !== 'drop');
      }
      const analyst = personaAccess(Persona.ANALYST, d);
      expect(analyst.kind).toBe('maskedView');
      for (const c of maskedViewColumns(d)) {
        const f = byName.get(c);
        if (f) expect(['keep', 'mask']).toContain(f.handling);
      }
      for (const f of d.fields.filter((x) => x.handling === 'mask')) expect(maskedViewColumns(d)).toContain(f.name);
      expect(personaAccess(Persona.VIEWER, d).kind).toBe('none');
      expect(personaAccess(Persona.ADMIN, d).kind).toBe('table');

      const grantsToAnalystOnTable = bootstrapStatements(config, OPTIONS)
        .filter((s) => s.startsWith('GRANT') && s.includes('ON TABLE "pipeline"."ds" TO') && s.includes('"persona_analyst"'));
      expect(grantsToAnalystOnTable).toEqual([]);
    }), { numRuns: 200 });
  });
});

describe('bootstrapStatements', () => {
  const statements = bootstrapStatements(EXAMPLE, OPTIONS);

  test('creates a table with quoted identifiers, typed columns, metadata and the id as primary key', () => {
    expect(statements).toContain([
      'CREATE TABLE IF NOT EXISTS "pipeline"."weather_observations" (',
      '  "observation_id" varchar(64) NOT NULL,',
      '  "station" varchar(32) NOT NULL,',
      '  "observed_at" timestamptz NOT NULL,',
      '  "temperature_c" double precision NOT NULL,',
      '  "condition" varchar(64),',
      '  "_loaded_at" timestamptz NOT NULL DEFAULT now(),',
      '  "_source_object" text,',
      '  CONSTRAINT "weather_observations_pkey" PRIMARY KEY ("observation_id")',
      ')',
    ].join('\n'));
  });

  test('no dropped field, no password, only IF NOT EXISTS / OR REPLACE creates', () => {
    const all = statements.join('\n');
    expect(all).not.toContain('clinician_notes');
    expect(all).not.toMatch(/PASSWORD\s+'/i);
    for (const create of all.match(/CREATE (OR REPLACE )?(TABLE|SCHEMA|VIEW|ROLE)[^\n]*/g) ?? []) {
      // CREATE ROLE only runs inside a DO block after a pg_roles check.
      expect(create).toMatch(/IF NOT EXISTS|OR REPLACE|CREATE ROLE/);
    }
  });

  test('every grant is preceded by a revoke of the same object, so runs converge', () => {
    const objects = (verb: string) => statements.filter((s) => s.startsWith(verb)).map((s) => /ON (TABLE|SCHEMA) (\S+)/.exec(s)?.[2]);
    for (const object of new Set(objects('GRANT'))) {
      const firstRevoke = statements.findIndex((s) => s.startsWith('REVOKE') && s.includes(` ${object} `));
      const firstGrant = statements.findIndex((s) => s.startsWith('GRANT') && s.includes(` ${object} `));
      expect(firstRevoke).toBeGreaterThanOrEqual(0);
      expect(firstRevoke).toBeLessThan(firstGrant);
    }
  });

  test('quoting escapes embedded quotes', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
  });
});

describe('validateBootstrapOptions', () => {
  const problems = (config: DatasetsConfig, options: typeof OPTIONS) => {
    try {
      validateBootstrapOptions(config, options);
      return [];
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigurationError);
      return (e as ConfigurationError).problems.map((p) => `${p.path}: ${p.problem}`);
    }
  };

  test('accepts the defaults', () => {
    expect(problems(EXAMPLE, OPTIONS)).toEqual([]);
  });

  test.each([
    [{ schema: 'public', loaderUser: 'pipeline_loader' }, /Schema: "public" is a system or shared schema/],
    [{ schema: 'pg_data', loaderUser: 'pipeline_loader' }, /Schema: "pg_data" is a system/],
    [{ schema: 'Pipeline;drop', loaderUser: 'pipeline_loader' }, /Schema: .* is not a lower_snake_case identifier/],
    [{ schema: 'pipeline', loaderUser: 'persona_admin' }, /LoaderUser: "persona_admin" is a persona role/],
    [{ schema: 'pipeline', loaderUser: 'rds_superuser' }, /LoaderUser: "rds_superuser" is a reserved role name/],
    [{ schema: 'pipeline', loaderUser: 'x"; drop' }, /LoaderUser: .* is not a lower_snake_case identifier/],
  ])('refuses %j', (options, message) => {
    expect(problems(EXAMPLE, options).join('\n')).toMatch(message);
  });

  test('refuses a dataset named like another dataset\'s masked view', () => {
    const raw = JSON.parse(JSON.stringify(EXAMPLE)) as { datasets: Array<{ name: string }> };
    raw.datasets.push({ ...raw.datasets[0], name: 'patient_visits_masked' });
    expect(problems(validateDatasetsConfig(raw), OPTIONS).join('\n'))
      .toMatch(/"patient_visits_masked": clashes with the masked view of dataset "patient_visits"/);
  });
});
