/**
 * Test doubles for the ingest stage, each at its boundary:
 * - faked Kafka: an object with the kafkajs producer interface (connect/send/disconnect) that records sends and
 *   can fail on chosen calls;
 * - faked S3, DynamoDB and Secrets Manager: real SDK clients answered by aws-sdk-client-mock, backed by in-memory
 *   state (objects, watermark items with DynamoDB's conditional-put semantics, secret values).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, GetSecretValueCommandInput, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand, GetCommandInput, PutCommand, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import type { Message, ProducerRecord, RecordMetadata } from 'kafkajs';
import { DatasetConfig, loadDatasetsConfig, validateDatasetsConfig } from '../../../../lib/config/datasets';
import type { RecordProducer } from '../../../../lambda/ingest/kafka';
import { SecretCache } from '../../../../lambda/shared/secrets';
import { FAKE_KEY_ARN } from '../../shared/field-handling/fake-kms';

const credentials = { accessKeyId: 'AKIAFAKEFAKEFAKE', secretAccessKey: 'fake' };
const region = 'eu-west-1';

export const EXAMPLE_FILE = path.join(__dirname, '../../../../examples/datasets.json');

/** The example datasets, as validated at app start. */
export function exampleDataset(name: string): DatasetConfig {
  const found = loadDatasetsConfig(EXAMPLE_FILE).datasets.find((d) => d.name === name);
  if (!found) throw new Error(`examples/datasets.json has no ${name}`);
  return found;
}

/** The raw JSON of an example dataset with its source URL replaced (what the schedule's event carries). */
export function exampleDatasetJson(name: string, url: string): Record<string, unknown> {
  const raw = (JSON.parse(fs.readFileSync(EXAMPLE_FILE, 'utf8')) as { datasets: Array<Record<string, unknown>> }).datasets.find((d) => d.name === name);
  if (!raw) throw new Error(`examples/datasets.json has no ${name}`);
  const copy = JSON.parse(JSON.stringify(raw)) as Record<string, unknown> & { source: Record<string, unknown> };
  copy.source.url = url;
  return copy;
}

/** Validates raw dataset JSON the way the handler does. */
export function datasetFrom(raw: unknown): DatasetConfig {
  return validateDatasetsConfig({ datasets: [raw] }).datasets[0];
}

// ---------------------------------------------------------------------------------------------------------------
// Faked Kafka

export interface SentBatch {
  readonly topic: string;
  readonly acks: number | undefined;
  readonly messages: readonly Message[];
}

/** A fake kafkajs producer. `failOnSend(n)` makes the n-th send (1-based) throw a kafkajs-like error. */
export class FakeProducer implements RecordProducer {
  readonly sent: SentBatch[] = [];
  /** Every send, acknowledged or not. */
  readonly attempted: SentBatch[] = [];
  readonly calls: string[] = [];
  connected = false;
  private failing = new Set<number>();
  private sendCount = 0;

  failOnSend(...calls: number[]): this {
    this.failing = new Set(calls);
    return this;
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
    this.connected = false;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    this.sendCount += 1;
    this.calls.push('send');
    if (!this.connected) throw new Error('FakeProducer: send before connect');
    this.attempted.push({ topic: record.topic, acks: record.acks, messages: record.messages });
    if (this.failing.has(this.sendCount)) {
      const error = new Error('The broker did not acknowledge in time');
      error.name = 'KafkaJSRequestTimeoutError';
      throw error;
    }
    this.sent.push({ topic: record.topic, acks: record.acks, messages: record.messages });
    return [{ topicName: record.topic, partition: 0, errorCode: 0 }];
  }

  /** Every acknowledged message, in order. */
  get messages(): Message[] {
    return this.sent.flatMap((b) => b.messages);
  }

  get keys(): string[] {
    return this.messages.map((m) => String(m.key));
  }

  /** Every acknowledged message value, parsed. */
  get values(): Array<Record<string, unknown>> {
    return this.messages.map((m) => JSON.parse(String(m.value)) as Record<string, unknown>);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Faked S3

export interface QuarantineLine {
  readonly dataset: string;
  readonly runId: string;
  readonly page: number;
  readonly index: number;
  readonly quarantinedAt: string;
  readonly reasons: string[];
  readonly form: 'handled' | 'redacted';
  readonly record: Record<string, unknown>;
}

export interface FakeS3 {
  readonly client: S3Client;
  /** PutObject inputs, in order. */
  puts(): PutObjectCommandInput[];
  /** The NDJSON lines of the object at `key` (gunzipped). */
  lines(key: string): QuarantineLine[];
  /** Gunzipped text of every object written. */
  allText(): string;
  restore(): void;
}

export function createFakeS3(): FakeS3 {
  const client = new S3Client({ region, credentials });
  const mock = mockClient(client);
  const objects = new Map<string, Buffer>();
  mock.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => {
    objects.set(String(input.Key), Buffer.from(input.Body as Uint8Array));
    return { ETag: '"fake"' };
  });
  const text = (key: string): string => {
    const body = objects.get(key);
    if (!body) throw new Error(`no object ${key}`);
    return gunzipSync(body).toString('utf8');
  };
  return {
    client,
    puts: () => mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input),
    lines: (key) => text(key).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as QuarantineLine),
    allText: () => [...objects.keys()].map(text).join('\n'),
    restore: () => mock.restore(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Faked DynamoDB (watermark table)

export interface FakeWatermarkTable {
  readonly client: DynamoDBDocumentClient;
  readonly items: Map<string, Record<string, unknown>>;
  /** Successful puts, in order. */
  readonly writes: Array<Record<string, unknown>>;
  /** Called before each put is evaluated, e.g. to simulate a concurrent writer. */
  beforePut?: () => void;
  restore(): void;
}

/**
 * The watermark table in memory. Puts honour the two condition shapes DynamoDB would evaluate for this table —
 * `attribute_not_exists(<key>)` and equality of named attributes joined by AND — and fail like DynamoDB otherwise.
 */
export function createFakeWatermarkTable(): FakeWatermarkTable {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region, credentials }));
  const mock = mockClient(DynamoDBDocumentClient);
  const table: FakeWatermarkTable = {
    client,
    items: new Map(),
    writes: [],
    restore: () => mock.restore(),
  };
  mock.on(GetCommand).callsFake((input: GetCommandInput) => {
    const item = table.items.get(String(input.Key?.dataset));
    return item ? { Item: { ...item } } : {};
  });
  mock.on(PutCommand).callsFake((input: PutCommandInput) => {
    table.beforePut?.();
    const key = String(input.Item?.dataset);
    if (!conditionHolds(input, table.items.get(key))) {
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
    }
    const item = { ...input.Item };
    table.items.set(key, item);
    table.writes.push(item);
    return {};
  });
  return table;
}

function conditionHolds(input: PutCommandInput, existing: Record<string, unknown> | undefined): boolean {
  const expression = input.ConditionExpression;
  if (expression === undefined) return true;
  const names = input.ExpressionAttributeNames ?? {};
  const values = input.ExpressionAttributeValues ?? {};
  const notExists = /^attribute_not_exists\((#\w+)\)$/.exec(expression);
  if (notExists) return existing === undefined || existing[names[notExists[1]]] === undefined;
  return expression.split(' AND ').every((clause) => {
    const m = /^(#\w+) = (:\w+)$/.exec(clause.trim());
    if (!m) throw new Error(`fake DynamoDB: unsupported condition ${clause}`);
    return existing !== undefined && existing[names[m[1]]] === values[m[2]];
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Faked Secrets Manager

export interface FakeSecrets {
  readonly cache: SecretCache;
  readonly client: SecretsManagerClient;
  /** Sets (or replaces) the AWSCURRENT value of a secret. */
  set(secretId: string, value: unknown): void;
  /** GetSecretValue calls per secret id. */
  reads(secretId: string): number;
  restore(): void;
}

export function createFakeSecrets(initial: Readonly<Record<string, unknown>> = {}): FakeSecrets {
  const client = new SecretsManagerClient({ region, credentials });
  const mock = mockClient(client);
  const values = new Map<string, string>(Object.entries(initial).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  mock.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => {
    const value = values.get(String(input.SecretId));
    if (value === undefined) throw new ResourceNotFoundException({ message: 'Secrets Manager can\'t find the specified secret.', $metadata: {} });
    return { ARN: input.SecretId, SecretString: value, VersionId: 'v1' };
  });
  return {
    cache: SecretCache.fromClient(client),
    client,
    set: (secretId, value) => values.set(secretId, typeof value === 'string' ? value : JSON.stringify(value)),
    reads: (secretId) => mock.commandCalls(GetSecretValueCommand).filter((c) => c.args[0].input.SecretId === secretId).length,
    restore: () => mock.restore(),
  };
}

export const API_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:source-api-AbCdEf';
export const TOKENIZATION_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:tokenization-key-AbCdEf';

/** A credential secret as the rotation function leaves it. */
export function apiCredential(accessToken: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clientId: 'ingest-client',
    clientSecret: 'ingest-client-secret',
    tokenUrl: 'https://auth.example.com/oauth2/token',
    accessToken,
    tokenType: 'Bearer',
    ...extra,
  };
}

/** The quarantine bucket's key, as IngestStage passes it (QUARANTINE_KEY_ARN). */
export const QUARANTINE_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';

/** The ingest function's environment without its owned config (tests add ownedConfigEnvironment of their dataset). */
export const INGEST_ENV: Readonly<Record<string, string>> = {
  API_CREDENTIAL_SECRET_ARN: API_SECRET_ARN,
  TOKENIZATION_KEY_SECRET_ARN: TOKENIZATION_SECRET_ARN,
  DATA_KEY_ID: FAKE_KEY_ARN,
  TOPIC: '{dataset}.clean',
  BOOTSTRAP_BROKERS: 'b-1.msk.example.internal:9098,b-2.msk.example.internal:9098',
  QUARANTINE_BUCKET: 'quarantine-bucket',
  QUARANTINE_KEY_ARN,
  WATERMARK_TABLE: 'ingest-watermarks',
  AWS_REGION: 'eu-west-1',
};

/** A Lambda context for one ingest invocation. */
export function lambdaContext(requestId: string, remainingMs = 600_000): Context {
  return {
    awsRequestId: requestId,
    functionName: 'ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:ingest',
    memoryLimitInMB: '512',
    logGroupName: '/aws/lambda/ingest',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A tokenization key secret with two versions, the second current. */
export function tokenizationSecret(): Record<string, unknown> {
  return { currentVersion: 2, keys: { 1: randomBytes(32).toString('base64'), 2: randomBytes(32).toString('base64') } };
}

// ---------------------------------------------------------------------------------------------------------------
// Output capture

/** Collects everything written to stdout and stderr (where Powertools Logger and Metrics write) until stopped. */
export function captureOutput(): { text(): string; stop(): void } {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write),
  );
  return {
    text: () => chunks.join(''),
    stop: () => spies.forEach((s) => s.mockRestore()),
  };
}
