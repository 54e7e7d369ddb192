/**
 * MSK events as Lambda's event source mapping delivers them (aws-lambda MSKEvent): records grouped under
 * `<topic>-<partition>`, key and value base64-encoded, a key omitted when the message has none.
 */
import type { MSKEvent, MSKRecord } from 'aws-lambda';

export interface KafkaMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Milliseconds since the epoch (CREATE_TIME, set by the producer). */
  readonly timestamp: number;
  readonly key?: string | Buffer | null;
  readonly value?: string | Buffer | null;
}

const b64 = (part: string | Buffer): string => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part).toString('base64');

export function mskRecord(message: KafkaMessage): MSKRecord {
  const record: Record<string, unknown> = {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    timestamp: message.timestamp,
    timestampType: 'CREATE_TIME',
    headers: [],
  };
  if (message.key !== undefined && message.key !== null) record.key = b64(message.key);
  if (message.value !== undefined && message.value !== null) record.value = b64(message.value);
  return record as unknown as MSKRecord;
}

/** An event holding `records` (already encoded, or messages to encode), grouped by topic-partition. */
export function mskEvent(records: ReadonlyArray<MSKRecord | KafkaMessage>): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const r of records) {
    const record = typeof (r as MSKRecord).timestampType === 'string' ? (r as MSKRecord) : mskRecord(r as KafkaMessage);
    (grouped[`${record.topic}-${record.partition}`] ??= []).push(record);
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:eu-west-1:111122223333:cluster/pipeline/11111111-2222-3333-4444-555555555555-1',
    bootstrapServers: 'b-1.pipeline.kafka.eu-west-1.amazonaws.com:9098',
    records: grouped,
  };
}
