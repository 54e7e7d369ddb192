/**
 * The load queue for the local run, in process: curated-object events are sent to it, the load handler receives up to
 * `batchSize` messages per invocation (an SQS event source mapping with ReportBatchItemFailures), the messages it
 * reports failed — or all of them when the invocation throws — become visible again (no visibility timeout is
 * waited for), and a message received `maxReceiveCount` times without success moves to the dead-letter queue.
 */
import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsRecord } from '../../test/helpers/sqs';

export interface QueuedMessage {
  readonly messageId: string;
  readonly body: string;
  receiveCount: number;
}

export interface QueueStats {
  readonly invocations: number;
  readonly receives: number;
  readonly failedReceives: number;
}

export class LocalQueue {
  private visible: QueuedMessage[] = [];
  readonly deadLetters: QueuedMessage[] = [];

  send(body: string): void {
    this.visible.push({ messageId: randomUUID(), body, receiveCount: 0 });
  }

  get depth(): number {
    return this.visible.length;
  }

  /** Receives and hands messages to `invoke` until the queue is empty (every message deleted or dead-lettered). */
  async drain(
    invoke: (event: SQSEvent, batch: readonly QueuedMessage[]) => Promise<SQSBatchResponse>,
    options: { batchSize: number; maxReceiveCount: number },
  ): Promise<QueueStats> {
    let invocations = 0;
    let receives = 0;
    let failedReceives = 0;
    while (this.visible.length > 0) {
      const batch = this.visible.splice(0, options.batchSize);
      batch.forEach((m) => (m.receiveCount += 1));
      receives += batch.length;
      invocations += 1;
      let failed: Set<string>;
      try {
        const response = await invoke({ Records: batch.map((m) => sqsRecord(m.body, m.messageId, m.receiveCount)) }, batch);
        failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch {
        failed = new Set(batch.map((m) => m.messageId));
      }
      for (const message of batch.filter((m) => failed.has(m.messageId))) {
        failedReceives += 1;
        if (message.receiveCount >= options.maxReceiveCount) this.deadLetters.push(message);
        else this.visible.push(message);
      }
    }
    return { invocations, receives, failedReceives };
  }
}
