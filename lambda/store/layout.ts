/**
 * Where the store stage writes, and how an MSK event is cut into per-partition batches.
 *
 * Curated object: `dataset=<name>/dt=YYYY-MM-DD/<partition>-<firstOffset>-<lastOffset>.jsonl.gz`, one per
 * topic-partition of an invocation. The offsets are the first and last offsets the batch holds for that partition
 * (quarantined records included), so the key is a pure function of the batch: a retried batch overwrites its
 * object instead of adding a second one.
 *
 * `dt` is the UTC date of the Kafka timestamp of the partition batch's first record (the ingest producer sets
 * CREATE_TIME when it sends, within seconds of `_ingestedAt`). It is the same on every retry, unlike the time of
 * processing; a batch that spans midnight lands in its first record's day. When that timestamp is missing or
 * invalid, the `_ingestedAt` of the first decodable record is used, and 1970-01-01 when there is neither.
 *
 * Quarantine object of the same batch: `dataset=<name>/dt=<same>/store-<partition>-<first>-<last>.jsonl.gz`.
 */
import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { utcDate } from '../shared/ndjson-object';

export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  /** In offset order. */
  readonly records: readonly MSKRecord[];
}

/** The event does not have the shape Lambda's MSK event source mapping sends. */
export class StoreEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreEventError';
  }
}

const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Groups the event's records by (topic, partition) as the records themselves state it (the `<topic>-<partition>`
 * keys of `event.records` are not parsed: topics may contain dashes), each group sorted by offset.
 */
export function partitionBatches(event: MSKEvent): PartitionBatch[] {
  const groups = event?.records;
  if (typeof groups !== 'object' || groups === null || Array.isArray(groups)) {
    throw new StoreEventError('The event has no records map; the store function must be invoked by an MSK event source mapping');
  }
  const byPartition = new Map<string, { topic: string; partition: number; records: MSKRecord[] }>();
  for (const records of Object.values(groups)) {
    if (!Array.isArray(records)) throw new StoreEventError('An entry of event.records is not a list of records');
    for (const record of records) {
      if (typeof record?.topic !== 'string' || !TOPIC.test(record.topic)
        || !Number.isSafeInteger(record.partition) || record.partition < 0
        || !Number.isSafeInteger(record.offset) || record.offset < 0) {
        throw new StoreEventError('A record of the event has no valid topic, partition or offset');
      }
      const id = `${record.topic}\u0000${record.partition}`;
      let group = byPartition.get(id);
      if (group === undefined) {
        group = { topic: record.topic, partition: record.partition, records: [] };
        byPartition.set(id, group);
      }
      group.records.push(record);
    }
  }
  return [...byPartition.values()]
    .filter((g) => g.records.length > 0)
    .map((g) => ({ ...g, records: [...g.records].sort((a, b) => a.offset - b.offset) }));
}

export interface OffsetRange {
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export function offsetRange(batch: PartitionBatch): OffsetRange {
  return { partition: batch.partition, firstOffset: batch.records[0].offset, lastOffset: batch.records[batch.records.length - 1].offset };
}

export function curatedObjectKey(dataset: string, dt: string, range: OffsetRange): string {
  return `dataset=${dataset}/dt=${dt}/${range.partition}-${range.firstOffset}-${range.lastOffset}.jsonl.gz`;
}

export function storeQuarantineKey(dataset: string, dt: string, range: OffsetRange): string {
  return `dataset=${dataset}/dt=${dt}/store-${range.partition}-${range.firstOffset}-${range.lastOffset}.jsonl.gz`;
}

/** The batch's `dt` (see the file comment); `ingestedAt` is the first decodable record's `_ingestedAt`, if any. */
export function batchDate(batch: PartitionBatch, ingestedAt: unknown): string {
  const timestamp = batch.records[0].timestamp;
  if (Number.isFinite(timestamp) && timestamp > 0 && timestamp < 253402300800000) return utcDate(new Date(timestamp));
  if (typeof ingestedAt === 'string') {
    const at = new Date(ingestedAt);
    if (!Number.isNaN(at.getTime()) && at.getUTCFullYear() >= 1970 && at.getUTCFullYear() <= 9999) return utcDate(at);
  }
  return '1970-01-01';
}
