/**
 * The whole data path of one dataset on this machine, with the real handler code of every stage and no AWS:
 *
 *   input file → local HTTPS source API (self-signed certificate, bearer token, pages with nextCursor)
 *     → ingest handler (lambda/ingest: validation, field protection, quarantine)
 *     → in-process Kafka topic (no local broker: the producer is a collector) → simulated MSK event source mapping
 *     → store handler (lambda/store) → local S3 server (s3rver, real @aws-sdk/client-s3)
 *     → "Object Created" events through the load rule's pattern (as EventBridge would) → in-process SQS queue with a DLQ
 *     → load handler (lambda/load) → embedded PostgreSQL over TLS verify-full, bootstrapped by lambda/db-bootstrap.
 *
 * Stand-ins (see ./fakes.ts): KMS (a local AES key), Secrets Manager (in memory), DynamoDB (in memory), and the
 * RDS IAM token: the loader logs in over TLS without a password (trust for that role only), because PostgreSQL
 * outside RDS cannot check IAM tokens.
 *
 * Ingest is invoked again from the watermark, as successive schedules would invoke it, while a run stops with a
 * backlog (`max-pages`, `time-budget`), at most `maxIngestInvocations` times. Records the source has not served
 * when the run ends are `pending`: not read yet, not lost.
 *
 * The store's event source mapping follows the profile (`dev` unless told otherwise): its batch size, its batching
 * window and the topic's partitions, so the curated objects have the sizes a deployment of that profile writes.
 *
 * Counting, from the final state where possible: `read` input records (non-empty lines), `produced` messages in
 * the topic, `stored` records in curated objects (their record-count metadata), `loaded` records upserted (each
 * of several records with one id counts; `distinctRows` is the table's row count), `quarantined` lines in the
 * quarantine bucket (ingest, store and load objects), `deadLettered` records of batches sent to the store's
 * on-failure destination plus records of objects whose load message ended in the DLQ. `lost` adds up, stage by
 * stage, the records that went in and came out nowhere.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Client } from 'pg';
import { DatasetConfig, validateDatasetsConfig } from '../../lib/config/datasets';
import { runBootstrap } from '../../lambda/db-bootstrap/bootstrap';
import { DEFAULT_LOADER_USER, DEFAULT_SCHEMA, quoteIdent } from '../../lambda/db-bootstrap/sql';
import { createHandler as createIngestHandler } from '../../lambda/ingest/index';
import type { IngestResult, StopReason } from '../../lambda/ingest/ingest';
import { connectWith, loaderClientConfig } from '../../lambda/load/database';
import { createHandler as createLoadHandler } from '../../lambda/load/index';
import type { ObjectLoadResult } from '../../lambda/load/load';
import { decodeS3Key, parseMessageBody } from '../../lambda/load/message';
import { createHandler as createStoreHandler } from '../../lambda/store/index';
import { PROFILES, ProfileName } from '../../lib/config/profiles';
import { ownedConfigEnvironment } from '../../lib/constructs/pipeline/ingest-stage';
import { CURATED_KEY_PATTERNS } from '../../lib/constructs/pipeline/load-stage';
import { LocalS3, startLocalS3 } from '../../test/helpers/local-s3';
import { loadRuleMatches, objectCreatedEvent } from '../../test/lambda/load/support/eventbridge';
import { startTlsPostgres, TlsPostgres } from '../../test/helpers/postgres/tls-postgres';
import { RecordingMetrics } from '../../test/helpers/stage-recorders';
import { selfSignedCertificate } from '../../test/helpers/tls';
import { LOCAL_KEY_ID, localKms, localSecrets, localWatermarkTable } from './fakes';
import { EventSourceMappingStats, InProcessTopic, runEventSourceMapping } from './kafka';
import { listAllKeys } from './s3-listing';
import { recordsFromLines, SourceApi, startSourceApi } from './source-api';
import { LocalQueue, QueueStats } from './sqs';

export interface LocalRunOptions {
  readonly dataset: string;
  /** The input file (JSON lines), absolute. */
  readonly input: string;
  /** The datasets config holding the dataset, absolute. */
  readonly config: string;
  /** Records per source page. @default 5 */
  readonly pageSize?: number;
  /** The deployment profile whose store event source mapping and topic the run mirrors. @default 'dev' */
  readonly profile?: ProfileName;
  /** Records per store invocation (event source mapping batch size). @default the profile's storeBatchSize */
  readonly batchSize?: number;
  /** The event source mapping's batching window in seconds. @default the profile's storeBatchWindowSeconds */
  readonly batchWindowSeconds?: number;
  /** Pages per ingest invocation (the handler's maxPages). @default 500, the handler's default */
  readonly maxPages?: number;
  /** Ingest invocations at most, so a source that never ends cannot keep the run going. @default 1000 */
  readonly maxIngestInvocations?: number;
  /** Retries of a failed store invocation before its batch goes to the on-failure destination. @default 2 */
  readonly storeRetries?: number;
  /** Messages per load invocation. @default 10 */
  readonly loadBatchSize?: number;
  /** Receives of a load message before it moves to the DLQ. @default 3 */
  readonly maxReceiveCount?: number;
  /** The first PUT into the curated bucket answers 503 SlowDown. */
  readonly failS3Once?: boolean;
  /** The database stops right after the first object is loaded (mid-batch) and restarts after that invocation. */
  readonly failDbOnce?: boolean;
  /** The database is down for the whole load phase (every load message ends in the DLQ). */
  readonly dbDown?: boolean;
  /** Test only: the topic acknowledges the first message and drops it. */
  readonly loseOne?: boolean;
  /** Handler log level (logs go to stderr). @default 'WARN' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Test only: called after counting, before the servers are stopped, to look at what the run left behind. */
  readonly inspect?: (state: LocalRunState) => Promise<void>;
}

export interface LocalRunState {
  readonly s3: LocalS3;
  readonly curatedBucket: string;
  readonly quarantineBucket: string;
  /** A superuser session on the pipeline database. */
  readonly database: Client;
}

export interface LocalRunSummary {
  readonly read: number;
  readonly produced: number;
  readonly stored: number;
  readonly loaded: number;
  readonly quarantined: number;
  readonly deadLettered: number;
  /** Records the source had not served when the run ended (ingest invocations bounded): not read yet, not lost. */
  readonly pending: number;
  readonly lost: number;
  /** Rows in the table: `loaded` minus the records that updated a row loaded before (duplicate ids). */
  readonly distinctRows: number;
  /** read = loaded + quarantined + deadLettered + pending, and nothing lost. */
  readonly reconciled: boolean;
  /** Wall time of the whole run: servers started, every stage, counting, servers stopped not included. */
  readonly elapsedMs: number;
  /** read / elapsedMs, end to end (server start-up included, so small inputs look slow). */
  readonly recordsPerSecond: number;
  readonly dataset: string;
  readonly profile: ProfileName;
  readonly stages: {
    readonly source: { readonly records: number; readonly served: number; readonly bearerTokenRequired: boolean; readonly unauthorizedRequests: number };
    readonly ingest: {
      readonly invocations: number; readonly maxPagesPerInvocation: number; readonly pages: number; readonly fetched: number; readonly produced: number; readonly quarantined: number;
      /** Invocations by stop reason; those ending in `max-pages` or `time-budget` published Backlog 1. */
      readonly stopReasons: Partial<Record<StopReason, number>>;
      /** The last invocation left pages for a next one (the invocation bound was reached). */
      readonly backlog: boolean;
      readonly pending: number;
      readonly elapsedMs: number;
    };
    readonly store: EventSourceMappingStats & {
      readonly batchSize: number; readonly batchWindowSeconds: number; readonly partitions: number;
      readonly objects: number; readonly recordsPerObject: number; readonly stored: number; readonly quarantined: number; readonly elapsedMs: number;
    };
    readonly load: QueueStats & { readonly objects: number; readonly loaded: number; readonly quarantined: number; readonly deadLetteredMessages: number; readonly deadLettered: number; readonly elapsedMs: number };
  };
  /**
   * Server start-up (PostgreSQL, S3, source API, bootstrap), counting, and stopping the servers (after elapsedMs,
   * so set once they are stopped), in milliseconds.
   */
  readonly timings: { readonly setupMs: number; readonly countMs: number; teardownMs: number };
  readonly faults: { readonly s3FailuresServed: number; readonly databaseOutage: 'none' | 'once' | 'whole-load-phase' };
  readonly simulated: readonly string[];
  readonly error?: string;
}

const SIMULATED = [
  'Kafka: no local broker; an in-process topic (3 partitions, kafkajs DefaultPartitioner) and a simulated MSK event source mapping',
  'SQS: an in-process queue with ReportBatchItemFailures semantics and a DLQ after maxReceiveCount receives',
  'KMS: a local AES-256 key for envelope encryption; Secrets Manager and DynamoDB: in memory',
  'RDS IAM authentication: the loader logs in over TLS without a password (trust for that role only)',
];

const DATABASE = 'pipeline';
const QUARANTINE_BUCKET = 'local-quarantine';
/** Writers name the bucket's key on every write, as in the deployed stack (the local S3 ignores it). */
const QUARANTINE_KEY_ARN = 'arn:aws:kms:us-east-1:000000000000:key/local-quarantine';

/** Reads the dataset's raw JSON (what the ingest function is deployed with) and its validated config. */
function readDataset(configFile: string, name: string): { raw: Record<string, unknown>; dataset: DatasetConfig } {
  const document = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { datasets?: Array<Record<string, unknown>> };
  const datasets = validateDatasetsConfig(document, configFile).datasets;
  const dataset = datasets.find((d) => d.name === name);
  const raw = document.datasets?.find((d) => d.name === name);
  if (!dataset || !raw) throw new Error(`Dataset "${name}" is not in ${configFile}; it has ${datasets.map((d) => d.name).join(', ')}`);
  return { raw, dataset };
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  const { raw, dataset } = readDataset(options.config, options.dataset);
  const profile = PROFILES[options.profile ?? 'dev'];
  const batchSize = options.batchSize ?? profile.storeBatchSize;
  const batchWindowSeconds = options.batchWindowSeconds ?? profile.storeBatchWindowSeconds;
  const maxPages = options.maxPages ?? 500;
  const maxIngestInvocations = options.maxIngestInvocations ?? 1000;
  const records = recordsFromLines(fs.readFileSync(options.input, 'utf8'));
  const curatedBucket = `local-curated-${dataset.classification.toLowerCase()}`;
  const logLevel = options.logLevel ?? 'WARN';
  const logger = (serviceName: string) => new Logger({ serviceName, logLevel });

  const closers: Array<() => Promise<unknown>> = [];
  let summary: LocalRunSummary | undefined;
  let pg: TlsPostgres | undefined;
  let s3: LocalS3 | undefined;
  let source: SourceApi | undefined;
  let admin: Client | undefined;
  try {
    // Servers: the source API, S3 and PostgreSQL, started together; whatever started is closed at the end.
    const token = randomBytes(24).toString('base64url');
    const cert = await selfSignedCertificate({ dns: ['localhost'], ips: ['127.0.0.1'] });
    const servers = await Promise.allSettled([
      startSourceApi({
        records, recordsPath: dataset.source.recordsPath, pageSize: options.pageSize ?? 5, path: new URL(dataset.source.url).pathname,
        token: dataset.source.auth !== undefined ? token : undefined, cert,
      }),
      startLocalS3([curatedBucket, QUARANTINE_BUCKET]),
      startTlsPostgres({ trustedRoles: [DEFAULT_LOADER_USER] }),
    ]);
    const [sourceStart, s3Start, pgStart] = servers;
    if (sourceStart.status === 'fulfilled') closers.push(() => sourceStart.value.close());
    if (s3Start.status === 'fulfilled') closers.push(() => s3Start.value.stop());
    if (pgStart.status === 'fulfilled') closers.push(() => pgStart.value.stop());
    for (const s of servers) if (s.status === 'rejected') throw s.reason;
    source = (sourceStart as PromiseFulfilledResult<SourceApi>).value;
    s3 = (s3Start as PromiseFulfilledResult<LocalS3>).value;
    pg = (pgStart as PromiseFulfilledResult<TlsPostgres>).value;
    await pg.createDatabase(DATABASE);
    const bootstrapSession = await pg.connect(DATABASE);
    try {
      await runBootstrap(bootstrapSession, { datasets: [dataset] }, { schema: DEFAULT_SCHEMA, loaderUser: DEFAULT_LOADER_USER });
    } finally {
      await bootstrapSession.end();
    }
    const livePg = pg;
    const liveS3 = s3;
    const setupMs = Date.now() - started;

    if (options.failS3Once) {
      liveS3.injectFault({ matches: (r) => r.method === 'PUT' && r.path.startsWith(`/${curatedBucket}/`) });
    }

    // Ingest: the real handler, with the collector as its Kafka producer. It owns its dataset config as deployed
    // (with the local source's URL), and the run is started with the schedule's marker event.
    const deployed = validateDatasetsConfig({ datasets: [{ ...raw, source: { ...(raw.source as object), url: source.url } }] }, options.config).datasets[0];
    const topic = new InProcessTopic({ partitions: profile.topicPartitions, loseFirstMessage: options.loseOne === true });
    const tokenizationKey = { currentVersion: 1, keys: { 1: randomBytes(32).toString('base64') } };
    const ingest = createIngestHandler({
      secrets: localSecrets({ 'local:api-credential': { accessToken: token, tokenType: 'Bearer' }, 'local:tokenization-key': tokenizationKey }),
      s3: liveS3.client({ maxAttempts: 1 }),
      ddb: localWatermarkTable(),
      kms: localKms(),
      producer: () => topic,
      logger: logger('ingest'),
      metrics: new RecordingMetrics(),
      http: { ca: cert.cert },
      maxPages,
      env: {
        API_CREDENTIAL_SECRET_ARN: 'local:api-credential',
        TOKENIZATION_KEY_SECRET_ARN: 'local:tokenization-key',
        DATA_KEY_ID: LOCAL_KEY_ID,
        TOPIC: '{dataset}.clean',
        BOOTSTRAP_BROKERS: 'local-broker.invalid:9098',
        QUARANTINE_BUCKET,
        QUARANTINE_KEY_ARN,
        WATERMARK_TABLE: 'local-watermarks',
        AWS_REGION: 'us-east-1',
        ...ownedConfigEnvironment(deployed),
      },
    });
    // Successive schedules: each invocation starts from the watermark the previous one stored, until one reads the
    // source to its end (or stops for another reason than a backlog), at most maxIngestInvocations times.
    const ingestStarted = Date.now();
    const runs: IngestResult[] = [];
    do {
      runs.push(await ingest({ dataset: deployed.name }));
    } while (runs[runs.length - 1].backlog && runs.length < maxIngestInvocations);
    const ingestMs = Date.now() - ingestStarted;
    const stopReasons: Partial<Record<StopReason, number>> = {};
    for (const r of runs) stopReasons[r.stopReason] = (stopReasons[r.stopReason] ?? 0) + 1;
    const ingested = runs.reduce((t, r) => ({ pages: t.pages + r.pages, fetched: t.fetched + r.fetched, produced: t.produced + r.produced }), { pages: 0, fetched: 0, produced: 0 });

    // S3 → EventBridge → SQS: each new object becomes an "Object Created" event, and the load rule's pattern (the
    // curated bucket, the curated key wildcards) decides what reaches the queue, as in the deployed stack.
    const queue = new LocalQueue();
    liveS3.onObjectCreated((record) => {
      const event = objectCreatedEvent(record.s3.bucket.name, decodeS3Key(record.s3.object.key));
      if (loadRuleMatches(event, [curatedBucket], CURATED_KEY_PATTERNS)) queue.send(JSON.stringify(event));
    });

    // Store: the real handler behind a simulated MSK event source mapping.
    const store = createStoreHandler({
      s3: liveS3.client({ maxAttempts: 1 }),
      logger: logger('store'),
      metrics: new RecordingMetrics(),
      env: { DATASET: dataset.name, CURATED_BUCKET: curatedBucket, CURATED_KEY_ARN: `arn:aws:kms:us-east-1:000000000000:key/local-curated-${dataset.classification.toLowerCase()}`, QUARANTINE_BUCKET, QUARANTINE_KEY_ARN },
    });
    const storeStarted = Date.now();
    const storeStats = await runEventSourceMapping(topic.batches(batchSize, batchWindowSeconds * 1000), (event) => store(event), options.storeRetries ?? 2);
    const storeMs = Date.now() - storeStarted;

    // Load: the real handler behind the simulated queue; the database outage faults happen here.
    const loadedObjects = new Map<string, ObjectLoadResult>();
    let outage: 'none' | 'once' | 'whole-load-phase' = 'none';
    let pauseAfterFirstObject = false;
    const load = createLoadHandler({
      s3: liveS3.client({ maxAttempts: 1 }),
      logger: logger('load'),
      metrics: new RecordingMetrics(),
      env: { DB_HOST: 'localhost', DB_PORT: String(livePg.port), DB_NAME: DATABASE, QUARANTINE_BUCKET, QUARANTINE_KEY_ARN, AWS_REGION: 'us-east-1' },
      connect: (settings) => connectWith(loaderClientConfig(settings, { ca: livePg.ca, password: async () => undefined })),
      onObjectLoaded: async (result) => {
        loadedObjects.set(result.key, result);
        if (pauseAfterFirstObject) {
          pauseAfterFirstObject = false;
          await livePg.pause();
        }
      },
    });
    if (options.dbDown) {
      outage = 'whole-load-phase';
      await livePg.pause();
    }
    let firstInvocation = true;
    const loadStarted = Date.now();
    const loadStats = await queue.drain(async (event, batch) => {
      const injectOnce = options.failDbOnce === true && firstInvocation && !options.dbDown;
      firstInvocation = false;
      if (injectOnce) {
        outage = 'once';
        // Mid-batch when the batch has more than one message; otherwise down for the whole first invocation.
        if (batch.length > 1) pauseAfterFirstObject = true;
        else await livePg.pause();
      }
      try {
        return await load(event);
      } finally {
        if (injectOnce) {
          pauseAfterFirstObject = false;
          await livePg.resume();
        }
      }
    }, { batchSize: options.loadBatchSize ?? 10, maxReceiveCount: options.maxReceiveCount ?? 3 });
    if (options.dbDown) await livePg.resume();
    const loadMs = Date.now() - loadStarted;

    // Counting, from the final state of S3 and the database. Listing pages with markers (see ./s3-listing.ts).
    const countStarted = Date.now();
    const reader = liveS3.client();
    const curatedKeys = await listAllKeys(reader, curatedBucket, `dataset=${dataset.name}/`);
    const curatedCounts = new Map<string, number>();
    // HEAD requests, a few at a time: the count is in the object's metadata, the body is not needed.
    await eachLimited(curatedKeys, 8, async (key) => {
      curatedCounts.set(key, Number((await reader.send(new HeadObjectCommand({ Bucket: curatedBucket, Key: key }))).Metadata?.['record-count']));
    });
    const stored = [...curatedCounts.values()].reduce((a, b) => a + b, 0);

    const quarantine = { ingest: 0, store: 0, load: 0 };
    for (const key of await listAllKeys(reader, QUARANTINE_BUCKET, `dataset=${dataset.name}/`)) {
      const file = key.slice(key.lastIndexOf('/') + 1);
      const lines = (await liveS3.readNdjson(QUARANTINE_BUCKET, key)).lines.length;
      if (file.startsWith('store-')) quarantine.store += lines;
      else if (file.startsWith('load-')) {
        // Counted only when its object was committed (it is written just before the COMMIT).
        if ([...loadedObjects.values()].some((o) => o.quarantineKey === key)) quarantine.load += lines;
      } else quarantine.ingest += lines;
    }

    const deadLetteredKeys = new Set<string>();
    for (const message of queue.deadLetters) {
      const content = parseMessageBody(message.body);
      for (const { key } of content.kind === 'objects' ? content.objects : []) {
        if (!loadedObjects.has(key)) deadLetteredKeys.add(key);
      }
    }
    const loadDeadLettered = [...deadLetteredKeys].reduce((n, key) => n + (curatedCounts.get(key) ?? 0), 0);
    const loaded = [...loadedObjects.values()].reduce((n, o) => n + o.loaded, 0);
    admin = await livePg.connect(DATABASE);
    const distinct = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(DEFAULT_SCHEMA)}.${quoteIdent(dataset.name)}`);

    await options.inspect?.({ s3: liveS3, curatedBucket, quarantineBucket: QUARANTINE_BUCKET, database: admin });

    const countMs = Date.now() - countStarted;
    const read = records.length;
    const served = source.served();
    const pending = read - served;
    const produced = topic.size;
    const quarantined = quarantine.ingest + quarantine.store + quarantine.load;
    const deadLettered = storeStats.deadLettered + loadDeadLettered;
    const deficits = [
      served - produced - quarantine.ingest,
      produced - stored - quarantine.store - storeStats.deadLettered,
      stored - loaded - quarantine.load - loadDeadLettered,
    ];
    const lost = deficits.reduce((n, d) => n + Math.max(0, d), 0);
    const elapsedMs = Date.now() - started;
    summary = {
      read, produced, stored, loaded, quarantined, deadLettered, pending, lost,
      distinctRows: distinct.rows[0].n,
      reconciled: lost === 0 && read === loaded + quarantined + deadLettered + pending,
      elapsedMs,
      recordsPerSecond: Math.round((read / Math.max(1, elapsedMs)) * 1000 * 10) / 10,
      dataset: dataset.name,
      profile: profile.name,
      stages: {
        source: { records: read, served, bearerTokenRequired: dataset.source.auth !== undefined, unauthorizedRequests: source.unauthorized() },
        ingest: {
          invocations: runs.length, maxPagesPerInvocation: maxPages, ...ingested, quarantined: quarantine.ingest,
          stopReasons, backlog: runs[runs.length - 1].backlog, pending, elapsedMs: ingestMs,
        },
        store: {
          ...storeStats, batchSize, batchWindowSeconds, partitions: profile.topicPartitions,
          objects: curatedKeys.length, recordsPerObject: curatedKeys.length > 0 ? Math.round((stored / curatedKeys.length) * 10) / 10 : 0,
          stored, quarantined: quarantine.store, elapsedMs: storeMs,
        },
        load: { ...loadStats, objects: loadedObjects.size, loaded, quarantined: quarantine.load, deadLetteredMessages: queue.deadLetters.length, deadLettered: loadDeadLettered, elapsedMs: loadMs },
      },
      timings: { setupMs, countMs, teardownMs: 0 },
      faults: { s3FailuresServed: liveS3.faultsServed(), databaseOutage: outage },
      simulated: SIMULATED,
    };
    return summary;
  } finally {
    const stopping = Date.now();
    await admin?.end().catch(() => undefined);
    await Promise.allSettled(closers.map((close) => close()));
    if (summary) summary.timings.teardownMs = Date.now() - stopping;
  }
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The repository root (for the default datasets config). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');
