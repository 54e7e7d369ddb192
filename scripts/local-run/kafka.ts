/**
 * Kafka for the local run. There is no local broker, so the topic is an in-process log: the ingest handler's
 * producer is replaced by a collector with the kafkajs Producer interface that appends each acknowledged message
 * to its partition (chosen by the message key with kafkajs's DefaultPartitioner, Kafka's murmur2), with offsets
 * and a CREATE_TIME timestamp. The MSK event source mapping is then simulated: the log is cut into batches in send
 * order (a batch may span partitions, each partition's offsets stay in order), each batch is handed to the store
 * handler as an MSK event, a failed invocation is retried up to `retries` times, and a batch that still fails goes
 * to the on-failure destination (counted as dead-lettered).
 */
import { Partitioners, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import type { RecordProducer } from '../../lambda/ingest/kafka';
import { mskEvent, mskRecord } from '../../test/helpers/msk';

export interface KafkaTopicLogOptions {
  /** @default 3 */
  readonly partitions?: number;
  /** Test only: acknowledge the first message but do not keep it, to prove that the reconciliation sees a loss. */
  readonly loseFirstMessage?: boolean;
}

/** The collector (see the file comment). */
export class InProcessTopic implements RecordProducer {
  private readonly log: MSKRecord[] = [];
  private readonly nextOffset: number[];
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private loseNext: boolean;
  /** Messages the producer sent and got acknowledged, lost or not. */
  acknowledged = 0;

  constructor(options: KafkaTopicLogOptions = {}) {
    this.nextOffset = new Array<number>(options.partitions ?? 3).fill(0);
    this.loseNext = options.loseFirstMessage === true;
  }

  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {}

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const partitionMetadata = this.nextOffset.map((_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));
    for (const message of record.messages) {
      this.acknowledged += 1;
      if (this.loseNext) {
        this.loseNext = false;
        continue;
      }
      const partition = this.partitioner({ topic: record.topic, partitionMetadata, message });
      const offset = this.nextOffset[partition]++;
      this.log.push(mskRecord({ topic: record.topic, partition, offset, timestamp: Date.now(), key: message.key ?? null, value: message.value }));
    }
    return [];
  }

  /** Messages the topic holds. */
  get size(): number {
    return this.log.length;
  }

  /**
   * The log cut into event source mapping batches, in send order: a batch closes at `batchSize` records or, when
   * `windowMs` is above 0, at the first record produced more than `windowMs` after the batch's first record (the
   * batching window, as if the mapping had polled while ingest was producing). With a window of 0 only the size
   * cuts: the whole log is already there, as a backlog is for the real mapping.
   */
  batches(batchSize: number, windowMs = 0): MSKEvent[] {
    return cutBatches(this.log, batchSize, windowMs).map((records) => mskEvent(records));
  }
}

/** See InProcessTopic.batches. Pure, exported for tests. */
export function cutBatches<T extends { readonly timestamp: number }>(log: readonly T[], batchSize: number, windowMs = 0): T[][] {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const batches: T[][] = [];
  let current: T[] = [];
  for (const record of log) {
    if (current.length === batchSize || (windowMs > 0 && current.length > 0 && record.timestamp - current[0].timestamp > windowMs)) {
      batches.push(current);
      current = [];
    }
    current.push(record);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface EventSourceMappingStats {
  readonly invocations: number;
  readonly failedInvocations: number;
  /** Batches sent to the on-failure destination. */
  readonly discardedBatches: number;
  /** Records in those batches. */
  readonly deadLettered: number;
}

/** Delivers each batch to `invoke` with retries, like the MSK event source mapping (one batch at a time). */
export async function runEventSourceMapping(
  events: readonly MSKEvent[],
  invoke: (event: MSKEvent) => Promise<unknown>,
  retries: number,
): Promise<EventSourceMappingStats> {
  let invocations = 0;
  let failedInvocations = 0;
  let discardedBatches = 0;
  let deadLettered = 0;
  for (const event of events) {
    for (let attempt = 0; ; attempt++) {
      invocations += 1;
      try {
        await invoke(event);
        break;
      } catch {
        failedInvocations += 1;
        if (attempt >= retries) {
          discardedBatches += 1;
          deadLettered += Object.values(event.records).reduce((n, records) => n + records.length, 0);
          break;
        }
      }
    }
  }
  return { invocations, failedInvocations, discardedBatches, deadLettered };
}
