/**
 * Producing to MSK with kafkajs: TLS (certificate verified, TLS 1.2+) and IAM SASL (OAUTHBEARER with tokens from
 * aws-msk-iam-sasl-signer-js), an idempotent producer with acks=all and one request in flight, no topic
 * auto-creation, and bounded retries so a broken cluster fails the invocation instead of hanging it.
 *
 * Messages: key = the record id after field handling (the token when the id is tokenized, so retries and
 * re-reads produce the same keys), value = JSON of the handled record plus `_ingestedAt` and `_dataset`.
 */
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, KafkaConfig, logCreator, LogEntry, logLevel, Message, Producer, ProducerConfig } from 'kafkajs';
import { ConfigurationError, ConfigurationProblem } from '../../lib/errors';
import type { DatasetConfig } from '../../lib/config/datasets';
import type { ProtectedRecord } from '../shared/field-handling';

/** What the ingest stage needs from a kafkajs Producer (tests pass a fake with the same interface). */
export type RecordProducer = Pick<Producer, 'connect' | 'send' | 'disconnect'>;

/** The IAM-authenticated TLS listener of MSK inside the VPC. */
export const MSK_IAM_PORT = 9098;
/** acks=all: the leader waits for the full in-sync replica set (required by the idempotent producer). */
export const ACKS_ALL = -1;
/**
 * Largest total size of the messages in one send. MSK's default `message.max.bytes` is 1 MiB per record batch;
 * staying below it per send keeps every per-partition batch below it too.
 */
export const DEFAULT_MAX_BATCH_BYTES = 900 * 1024;
/** Largest single message (key + value); larger records are quarantined as poison rather than failing every run. */
export const DEFAULT_MAX_MESSAGE_BYTES = 900 * 1024;

/** Producer settings: idempotence needs acks=all and (in kafkajs) one in-flight request to keep ordering. */
export const PRODUCER_CONFIG: Readonly<ProducerConfig> = Object.freeze({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  // kafkajs warns that bounded retries weaken exactly-once across producer sessions; we accept that on purpose:
  // a failed invocation is retried whole, and downstream writes are idempotent by record id.
  retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 },
});

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;
const BROKER = /^([A-Za-z0-9.-]+):(\d{1,5})$/;

/** Parses BOOTSTRAP_BROKERS (`host:9098,host:9098`), refusing listeners other than IAM over TLS. */
export function parseBrokers(csv: string | undefined, variable = 'BOOTSTRAP_BROKERS'): string[] {
  const problems: ConfigurationProblem[] = [];
  const brokers = (csv ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0) {
    problems.push({ path: variable, problem: 'is empty', fix: 'set it to the cluster\'s SASL/IAM bootstrap brokers (host:9098, comma-separated)' });
  }
  for (const broker of brokers) {
    const m = BROKER.exec(broker);
    if (!m) {
      problems.push({ path: variable, problem: `"${broker}" is not host:port`, fix: 'list brokers as host:9098, comma-separated' });
    } else if (Number(m[2]) !== MSK_IAM_PORT) {
      problems.push({
        path: variable,
        problem: `"${broker}" uses port ${m[2]}, not the IAM-authenticated TLS listener`,
        fix: `use the bootstrap brokers for SASL/IAM (port ${MSK_IAM_PORT}); plaintext (9092) and unauthenticated TLS (9094) are refused`,
      });
    }
  }
  if (problems.length > 0) throw new ConfigurationError('Ingest function environment', problems);
  return brokers;
}

/** Checks a topic name against Kafka's rules (the message names the variable, and the name is not secret). */
export function checkTopic(topic: string, variable = 'TOPIC'): string {
  if (!TOPIC.test(topic) || topic === '.' || topic === '..') {
    throw new ConfigurationError('Ingest function environment', [
      { path: variable, problem: `"${topic}" is not a valid Kafka topic name`, fix: 'use 1-249 characters of A-Z a-z 0-9 . _ -, e.g. <dataset>.clean' },
    ]);
  }
  return topic;
}

export interface MskKafkaProps {
  readonly brokers: readonly string[];
  readonly region: string;
  readonly clientId: string;
  /** Where kafkajs logs go (warnings and errors only; message payloads are never in them). */
  readonly logger: { warn(message: string, attributes: Record<string, unknown>): void; error(message: string, attributes: Record<string, unknown>): void };
  /** Signs an MSK IAM auth token. @default generateAuthToken from aws-msk-iam-sasl-signer-js (Lambda role credentials) */
  readonly authToken?: (region: string) => Promise<string>;
}

/** The kafkajs client settings for MSK with IAM auth over TLS. */
export function mskKafkaConfig(props: MskKafkaProps): KafkaConfig {
  const authToken = props.authToken ?? (async (region: string) => (await generateAuthToken({ region })).token);
  return {
    clientId: props.clientId,
    brokers: [...props.brokers],
    // Certificate verification against Node's bundled roots (MSK certificates chain to Amazon Trust Services).
    ssl: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await authToken(props.region) }) },
    connectionTimeout: 10_000,
    authenticationTimeout: 10_000,
    requestTimeout: 30_000,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(props.logger),
  };
}

export function createMskProducer(props: MskKafkaProps): RecordProducer {
  return new Kafka(mskKafkaConfig(props)).producer({ ...PRODUCER_CONFIG });
}

/** Fields of kafkajs log entries that are forwarded; anything else (e.g. request payload dumps) is dropped. */
const FORWARDED_LOG_FIELDS = ['broker', 'clientId', 'error', 'retryCount', 'retryTime', 'topic', 'partition'] as const;
/** Emitted on every producer creation because of our bounded retries, a documented choice (see PRODUCER_CONFIG). */
const EXPECTED_WARNING = 'Limiting retries for the idempotent producer may invalidate EoS guarantees';

function kafkaLogCreator(logger: MskKafkaProps['logger']): logCreator {
  return () => (entry: LogEntry) => {
    if (entry.level > logLevel.WARN || entry.log.message === EXPECTED_WARNING) return;
    const attributes: Record<string, unknown> = { kafkaNamespace: entry.namespace };
    for (const key of FORWARDED_LOG_FIELDS) {
      const value = (entry.log as unknown as Record<string, unknown>)[key];
      if (value !== undefined) attributes[key] = value;
    }
    const message = `kafkajs: ${entry.log.message}`;
    if (entry.level === logLevel.ERROR) logger.error(message, attributes);
    else logger.warn(message, attributes);
  };
}

/** The Kafka message of a handled record. */
export function recordMessage(handled: ProtectedRecord, dataset: DatasetConfig, ingestedAt: string): Message {
  const id = handled[dataset.idField];
  if (id === null || id === undefined) {
    // The schema requires the id, so this is a bug, not a record fault.
    throw new Error(`Record of dataset "${dataset.name}" has no id field "${dataset.idField}" after field handling`);
  }
  return {
    key: String(id),
    value: JSON.stringify({ ...handled, _ingestedAt: ingestedAt, _dataset: dataset.name }),
  };
}

export function messageBytes(message: Message): number {
  const size = (part: Buffer | string | null | undefined): number =>
    part === null || part === undefined ? 0 : typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  return size(message.key) + size(message.value);
}

/** Splits messages into consecutive sends of at most `maxBatchBytes` each (a single larger message goes alone). */
export function messageBatches(messages: readonly Message[], maxBatchBytes = DEFAULT_MAX_BATCH_BYTES): Message[][] {
  const batches: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = messageBytes(message);
    if (current.length > 0 && bytes + size > maxBatchBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Sends every message with acks=all, batch after batch; resolves only when all are acknowledged. */
export async function produceAll(producer: RecordProducer, topic: string, messages: readonly Message[], maxBatchBytes = DEFAULT_MAX_BATCH_BYTES): Promise<void> {
  for (const batch of messageBatches(messages, maxBatchBytes)) {
    await producer.send({ topic, messages: batch, acks: ACKS_ALL });
  }
}
