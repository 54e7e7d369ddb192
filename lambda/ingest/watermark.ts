/**
 * The high-watermark of a dataset: the source cursor the next run starts from, in DynamoDB.
 *
 * Table: partition key `dataset` (string); attributes `cursor` (string) and `updatedAt` (ISO-8601). No item means
 * "start at the first page"; deleting the item makes the next run re-read the source from the beginning.
 *
 * Cursors are opaque, so "never backwards" cannot be a comparison of cursors. Instead every write is a
 * compare-and-set on the item as this run last saw it (`updatedAt` and `cursor`, or "no item yet"): a run that
 * started from an older state cannot overwrite what a concurrent run stored, it gets WatermarkConflictError.
 * Reads are strongly consistent for the same reason.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { WatermarkConflictError } from './errors';

export interface Watermark {
  readonly cursor: string;
  readonly updatedAt: string;
}

export interface WatermarkStore {
  /** The stored watermark, or undefined when the dataset has none yet. */
  read(dataset: string): Promise<Watermark | undefined>;
  /**
   * Stores `cursor` if the item is still `expected` (undefined: no item). Throws WatermarkConflictError when
   * another writer changed it in between.
   */
  advance(dataset: string, cursor: string, expected: Watermark | undefined): Promise<Watermark>;
}

/** The part of the document client used here. */
export type DocumentClientLike = Pick<DynamoDBDocumentClient, 'send'>;

export function createDynamoWatermarkStore(ddb: DocumentClientLike, tableName: string, now: () => Date = () => new Date()): WatermarkStore {
  return {
    async read(dataset) {
      const out = await ddb.send(new GetCommand({ TableName: tableName, Key: { dataset }, ConsistentRead: true }));
      const item = out.Item;
      if (item === undefined) return undefined;
      if (typeof item.cursor !== 'string' || typeof item.updatedAt !== 'string') {
        throw new Error(`Watermark item of dataset "${dataset}" in ${tableName} needs string attributes cursor and updatedAt; fix or delete the item`);
      }
      return { cursor: item.cursor, updatedAt: item.updatedAt };
    },

    async advance(dataset, cursor, expected) {
      const next: Watermark = { cursor, updatedAt: now().toISOString() };
      const condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> = expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(#dataset)', ExpressionAttributeNames: { '#dataset': 'dataset' } }
        : {
          ConditionExpression: '#cursor = :expectedCursor AND #updatedAt = :expectedUpdatedAt',
          ExpressionAttributeNames: { '#cursor': 'cursor', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':expectedCursor': expected.cursor, ':expectedUpdatedAt': expected.updatedAt },
        };
      try {
        await ddb.send(new PutCommand({ TableName: tableName, Item: { dataset, ...next }, ...condition }));
      } catch (e) {
        if (e instanceof ConditionalCheckFailedException || (e as Error | undefined)?.name === 'ConditionalCheckFailedException') {
          throw new WatermarkConflictError(dataset);
        }
        throw e;
      }
      return next;
    },
  };
}
