/**
 * The high-watermark of a dataset: where the next run starts reading its source, in DynamoDB.
 *
 * Table: partition key `dataset` (string); attributes `updatedAt` (ISO-8601) and the position, either `cursor` (an
 * opaque cursor the source returned) or `link` (the path and query of the next-page link the source returned; its
 * origin is always the configured source's). No item means "start at the first page"; deleting the item makes the
 * next run re-read the source from the beginning.
 *
 * Positions are opaque, so "never backwards" cannot be a comparison of positions. Instead every write is a
 * compare-and-set on the item as this run last saw it (`updatedAt` and the position, or "no item yet"): a run that
 * started from an older state cannot overwrite what a concurrent run stored, it gets WatermarkConflictError.
 * Reads are strongly consistent for the same reason.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { WatermarkConflictError } from './errors';

/** Where a source is read from next: a cursor, or a same-origin next-page link (path and query). */
export type PagePosition = { readonly cursor: string } | { readonly link: string };

export interface Watermark {
  readonly position: PagePosition;
  readonly updatedAt: string;
}

export interface WatermarkStore {
  /** The stored watermark, or undefined when the dataset has none yet. */
  read(dataset: string): Promise<Watermark | undefined>;
  /**
   * Stores `position` if the item is still `expected` (undefined: no item). Throws WatermarkConflictError when
   * another writer changed it in between.
   */
  advance(dataset: string, position: PagePosition, expected: Watermark | undefined): Promise<Watermark>;
}

/** The part of the document client used here. */
export type DocumentClientLike = Pick<DynamoDBDocumentClient, 'send'>;

/** The item attribute that holds a position of this kind. */
function attributeOf(position: PagePosition): ['cursor' | 'link', string] {
  return 'cursor' in position ? ['cursor', position.cursor] : ['link', position.link];
}

export function samePosition(a: PagePosition | undefined, b: PagePosition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [kindA, valueA] = attributeOf(a);
  const [kindB, valueB] = attributeOf(b);
  return kindA === kindB && valueA === valueB;
}

export function createDynamoWatermarkStore(ddb: DocumentClientLike, tableName: string, now: () => Date = () => new Date()): WatermarkStore {
  return {
    async read(dataset) {
      const out = await ddb.send(new GetCommand({ TableName: tableName, Key: { dataset }, ConsistentRead: true }));
      const item = out.Item;
      if (item === undefined) return undefined;
      const hasCursor = typeof item.cursor === 'string';
      const hasLink = typeof item.link === 'string';
      if (typeof item.updatedAt !== 'string' || hasCursor === hasLink) {
        throw new Error(`Watermark item of dataset "${dataset}" in ${tableName} needs a string updatedAt and exactly one of cursor or link; fix or delete the item`);
      }
      return { position: hasCursor ? { cursor: item.cursor as string } : { link: item.link as string }, updatedAt: item.updatedAt };
    },

    async advance(dataset, position, expected) {
      const next: Watermark = { position, updatedAt: now().toISOString() };
      const [attribute, value] = attributeOf(position);
      let condition: Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>;
      if (expected === undefined) {
        condition = { ConditionExpression: 'attribute_not_exists(#dataset)', ExpressionAttributeNames: { '#dataset': 'dataset' } };
      } else {
        const [expectedAttribute, expectedValue] = attributeOf(expected.position);
        condition = {
          ConditionExpression: '#position = :expectedPosition AND #updatedAt = :expectedUpdatedAt',
          ExpressionAttributeNames: { '#position': expectedAttribute, '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':expectedPosition': expectedValue, ':expectedUpdatedAt': expected.updatedAt },
        };
      }
      try {
        await ddb.send(new PutCommand({ TableName: tableName, Item: { dataset, [attribute]: value, updatedAt: next.updatedAt }, ...condition }));
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
