/** The load stage's pure parts: messages, keys, settings, the upsert statement, refusal reasons, IAM tokens. */
import { Signer } from '@aws-sdk/rds-signer';
import * as fc from 'fast-check';
import { ConfigurationError } from '../../../lib/errors';
import { iamAuthTokenProvider, loaderClientConfig } from '../../../lambda/load/database';
import { parseLoadSettings } from '../../../lambda/load/environment';
import { decodeS3Key, loadQuarantineKey, MessageFormatError, parseCuratedKey, parseMessageBody } from '../../../lambda/load/message';
import { prepareRow } from '../../../lambda/load/rows';
import { TableLayout, TableLayoutCache } from '../../../lambda/load/table';
import { chunkRows, isRowDataError, refusalReason, upsertSql } from '../../../lambda/load/upsert';
import { encodeNotificationKey } from '../../helpers/local-s3';
import { objectCreatedBody, TEST_EVENT_BODY } from '../../helpers/sqs';
import { objectCreatedBody as eventBridgeBody, objectCreatedEvent } from './support/eventbridge';

const layout: TableLayout = {
  schema: 'pipeline',
  table: 'customer_orders',
  idColumn: 'order_id',
  columns: [
    { name: 'order_id', type: 'character varying', kind: 'text', notNull: true },
    { name: 'amount', type: 'double precision', kind: 'number', notNull: true },
    { name: 'items', type: 'bigint', kind: 'integer', notNull: false },
    { name: 'paid', type: 'boolean', kind: 'boolean', notNull: false },
    { name: 'ordered_at', type: 'timestamp with time zone', kind: 'timestamp', notNull: false },
  ],
};

describe('messages', () => {
  test('an ObjectCreated notification gives its bucket and decoded key; other events are counted, not loaded', () => {
    const body = JSON.parse(objectCreatedBody('curated-internal', 'dataset=orders/dt=2024-05-01/0-1-2.jsonl.gz')) as { Records: unknown[] };
    body.Records.push({ eventSource: 'aws:s3', eventName: 'ObjectRemoved:Delete', s3: { bucket: { name: 'curated-internal' }, object: { key: 'x' } } });
    expect(parseMessageBody(JSON.stringify(body))).toEqual({
      kind: 'objects',
      objects: [{ bucket: 'curated-internal', key: 'dataset=orders/dt=2024-05-01/0-1-2.jsonl.gz', eventName: 'ObjectCreated:Put' }],
      ignoredEvents: 1,
    });
  });

  test('an Object Created event from EventBridge gives its bucket, decoded key and version', () => {
    const key = 'dataset=orders/dt=2024-05-01/0-1-2.jsonl.gz';
    const event = objectCreatedEvent('curated-internal', key, { versionId: 'v-7' });
    expect(event.detail.object.key).toBe('dataset%3Dorders/dt%3D2024-05-01/0-1-2.jsonl.gz');
    expect(parseMessageBody(JSON.stringify(event))).toEqual({
      kind: 'objects',
      objects: [{ bucket: 'curated-internal', key, versionId: 'v-7', eventName: 'Object Created:PutObject' }],
      ignoredEvents: 0,
    });
    // An unencoded key (no character that needs encoding) reads the same.
    const plain = { ...event, detail: { ...event.detail, object: { ...event.detail.object, key } } };
    expect(parseMessageBody(JSON.stringify(plain))).toMatchObject({ objects: [{ key }] });
  });

  test('other S3 events from EventBridge are counted, not loaded; a broken one is a format error', () => {
    expect(parseMessageBody(eventBridgeBody('b', 'k', { detailType: 'Object Deleted' }))).toEqual({ kind: 'objects', objects: [], ignoredEvents: 1 });
    const event = objectCreatedEvent('curated-internal', 'dataset=orders/dt=2024-05-01/0-1-2.jsonl.gz');
    expect(() => parseMessageBody(JSON.stringify({ ...event, detail: { ...event.detail, object: {} } }))).toThrow(MessageFormatError);
    expect(() => parseMessageBody(JSON.stringify({ ...event, 'detail-type': 7 }))).toThrow(MessageFormatError);
  });

  test('the S3 test event is recognised', () => {
    expect(parseMessageBody(TEST_EVENT_BODY)).toEqual({ kind: 'test' });
  });

  test.each([
    ['that is not JSON', 'hello'],
    ['that is not an object', '[1]'],
    ['without Records (e.g. an SNS envelope)', '{"Type":"Notification"}'],
    ['whose record is not from S3', '{"Records":[{"eventSource":"aws:sqs","eventName":"x"}]}'],
    ['without an object key', '{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{}}}]}'],
    ['with a broken URL-encoded key', '{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"%E0%A4%A"}}}]}'],
  ])('a message %s is refused as a format error', (_, body) => {
    expect(() => parseMessageBody(body)).toThrow(MessageFormatError);
  });

  test('keys are decoded as S3 encodes them (form encoding) for any key', () => {
    expect(decodeS3Key('dataset%3Dorders/dt%3D2024-05-01/a+b%2Bc.jsonl.gz')).toBe('dataset=orders/dt=2024-05-01/a b+c.jsonl.gz');
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (key) => {
      expect(decodeS3Key(encodeNotificationKey(key))).toBe(key);
    }));
  });

  test('curated keys give the dataset, the day and the file; the load quarantine key follows them', () => {
    const key = parseCuratedKey('dataset=patient_visits/dt=2024-05-01/2-100-199.jsonl.gz');
    expect(key).toEqual({ dataset: 'patient_visits', dt: '2024-05-01', file: '2-100-199.jsonl.gz' });
    expect(loadQuarantineKey(key)).toBe('dataset=patient_visits/dt=2024-05-01/load-2-100-199.jsonl.gz');
    for (const bad of ['dataset=Bad-Name/dt=2024-05-01/0-1-1.jsonl.gz', 'dataset=x1/dt=2024-05-01/0-1-1.json', 'other/dataset=x1/dt=2024-05-01/a.jsonl.gz', 'dataset=x1/0-1-1.jsonl.gz']) {
      expect(() => parseCuratedKey(bad)).toThrow(MessageFormatError);
    }
  });
});

describe('settings', () => {
  test('defaults: port 5432, loader pipeline_loader, schema pipeline', () => {
    expect(parseLoadSettings({ DB_HOST: 'db.abc.eu-west-1.rds.amazonaws.com', DB_NAME: 'pipeline', QUARANTINE_BUCKET: 'quarantine-1', QUARANTINE_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', AWS_REGION: 'eu-west-1' })).toEqual({
      host: 'db.abc.eu-west-1.rds.amazonaws.com', port: 5432, database: 'pipeline', user: 'pipeline_loader', schema: 'pipeline', quarantineBucket: 'quarantine-1', quarantineKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', region: 'eu-west-1',
    });
  });

  test('every problem is reported at once', () => {
    const error = (() => {
      try {
        parseLoadSettings({ DB_PORT: '99999', DB_USER: 'Robert"); DROP', DB_SCHEMA: 'public schema', QUARANTINE_KEY_ARN: 'key-1' });
      } catch (e) {
        return e as ConfigurationError;
      }
      throw new Error('expected a ConfigurationError');
    })();
    expect(error.problems.map((p) => p.path)).toEqual(['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_SCHEMA', 'QUARANTINE_BUCKET', 'QUARANTINE_KEY_ARN', 'AWS_REGION']);
  });
});

describe('connection', () => {
  test('the password is an IAM authentication token for the loader on the endpoint, signed locally', async () => {
    const settings = { host: 'db.abc.eu-west-1.rds.amazonaws.com', port: 5432, user: 'pipeline_loader', region: 'eu-west-1' };
    const signer = new Signer({ hostname: settings.host, port: settings.port, username: settings.user, region: settings.region, credentials: { accessKeyId: 'AKIAEXAMPLEEXAMPLE', secretAccessKey: 'secret' } });
    const token = (await iamAuthTokenProvider(settings, signer)()) ?? '';
    expect(token.startsWith('db.abc.eu-west-1.rds.amazonaws.com:5432/?')).toBe(true);
    const query = new URLSearchParams(token.split('?')[1]);
    expect(query.get('Action')).toBe('connect');
    expect(query.get('DBUser')).toBe('pipeline_loader');
    expect(query.get('X-Amz-Credential')).toMatch(/^AKIAEXAMPLEEXAMPLE\/\d{8}\/eu-west-1\/rds-db\/aws4_request$/);
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  test('client options: verify-full against the RDS CA bundle by default, TLS 1.2+, the loader, a password provider', async () => {
    const config = loaderClientConfig({ host: 'db.abc.eu-west-1.rds.amazonaws.com', port: 5432, user: 'pipeline_loader', database: 'pipeline' }, { password: async () => 'token-1' });
    expect(config).toMatchObject({ host: 'db.abc.eu-west-1.rds.amazonaws.com', user: 'pipeline_loader', database: 'pipeline', application_name: 'secure-data-pipeline-load' });
    expect(config.ssl).toMatchObject({ rejectUnauthorized: true, servername: 'db.abc.eu-west-1.rds.amazonaws.com', minVersion: 'TLSv1.2' });
    expect(((config.ssl as { ca: string[] }).ca).length).toBeGreaterThan(1);
    expect(await (config.password as () => Promise<string>)()).toBe('token-1');
  });
});

describe('rows and the upsert statement', () => {
  test('the upsert replaces every column from EXCLUDED, sets _source_object and moves _loaded_at', () => {
    expect(upsertSql(layout, 2)).toBe([
      'INSERT INTO "pipeline"."customer_orders" ("order_id", "amount", "items", "paid", "ordered_at", "_source_object")',
      'VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)',
      'ON CONFLICT ("order_id") DO UPDATE SET "amount" = EXCLUDED."amount", "items" = EXCLUDED."items", "paid" = EXCLUDED."paid", ' +
        '"ordered_at" = EXCLUDED."ordered_at", "_source_object" = EXCLUDED."_source_object", "_loaded_at" = pg_catalog.now()',
    ].join('\n'));
  });

  test('chunks stay within PostgreSQL\'s 65535 bind parameters', () => {
    expect(chunkRows(layout)).toBe(500);
    const wide: TableLayout = { ...layout, columns: Array.from({ length: 1599 }, (_, i) => ({ name: `c${i}`, type: 'text', kind: 'text' as const, notNull: false })) };
    expect(chunkRows(wide) * 1600).toBeLessThanOrEqual(65535);
  });

  test('prepareRow: JSON types must fit the columns, absent optional fields become NULL, undeclared fields are ignored', () => {
    expect(prepareRow({ order_id: 'o-1', amount: 2, paid: true, extra: { nested: 1 }, _ingestedAt: 'x' }, 1, layout, 'customer_orders'))
      .toEqual({ ok: true, row: { line: 1, id: 'o-1', params: ['o-1', '2', null, 'true', null] } });
    const refused = prepareRow({ order_id: 7, amount: 'SECRET', items: 1.5, paid: 'yes', ordered_at: 5 }, 4, layout, 'customer_orders');
    expect(refused).toEqual({ ok: false, refused: expect.objectContaining({ line: 4, reasons: [
      'field "order_id" expected a string for column type character varying, got a number',
      'field "amount" expected a finite number for column type double precision, got a string',
      'field "items" expected a whole number within ±(2^53-1) for column type bigint, got a number',
      'field "paid" expected a boolean for column type boolean, got a string',
      'field "ordered_at" expected an ISO-8601 timestamp string for column type timestamp with time zone, got a number',
    ] }) });
    expect(prepareRow('text', 2, layout, 'customer_orders')).toEqual({ ok: false, refused: { line: 2, reasons: ['line 2 is not a JSON object'] } });
    expect(prepareRow({ order_id: 'a\u0000b', amount: 1 }, 3, layout, 'customer_orders')).toMatchObject({ ok: false, refused: { reasons: [expect.stringMatching(/NUL/)] } });
  });

  test('only data errors are the row\'s fault, and their reasons never quote the server message', () => {
    for (const code of ['22001', '22P02', '22007', '23502', '23505', '23514', '54000']) expect(isRowDataError({ code })).toBe(true);
    for (const code of ['08006', '57P01', '40001', '42501', '42P01', 'ECONNREFUSED', undefined]) expect(isRowDataError({ code })).toBe(false);
    const error = Object.assign(new Error('invalid input syntax for type bigint: "SECRET"'), { code: '22P02', detail: 'Failing row contains (SECRET)' });
    expect(refusalReason(error)).toEqual({ reason: 'the database refused the row: a value is not valid for its column type (SQLSTATE 22P02)', sqlState: '22P02' });
    expect(refusalReason({ code: '23502', column: 'status' }).reason).toBe('the database refused the row: a required column is null (SQLSTATE 23502, column "status")');
  });

  test('table layouts are cached per table for the TTL', async () => {
    let now = 0;
    let queries = 0;
    const client = {
      query: async (sql: string) => {
        queries += 1;
        return sql.includes('pg_index')
          ? { rows: [{ name: 'order_id' }] }
          : { rows: [{ name: 'order_id', type: 'text', not_null: true }, { name: '_loaded_at', type: 'timestamp with time zone', not_null: true }, { name: '_source_object', type: 'text', not_null: false }] };
      },
    };
    const cache = new TableLayoutCache(1000, () => now);
    const first = await cache.get(client as never, 'pipeline', 'orders');
    expect(first.columns.map((c) => c.name)).toEqual(['order_id']);
    await cache.get(client as never, 'pipeline', 'orders');
    expect(queries).toBe(2);
    now = 1000;
    await cache.get(client as never, 'pipeline', 'orders');
    expect(queries).toBe(4);
  });
});
