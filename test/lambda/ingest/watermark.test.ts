/** The DynamoDB watermark: strongly consistent reads and compare-and-set writes (faked DynamoDB). */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { WatermarkConflictError } from '../../../lambda/ingest/errors';
import { createDynamoWatermarkStore } from '../../../lambda/ingest/watermark';
import { createFakeWatermarkTable, FakeWatermarkTable } from './support/fakes';

let table: FakeWatermarkTable;
let clock: number;
const now = () => new Date(clock++ * 1000);

beforeEach(() => {
  table = createFakeWatermarkTable();
  clock = 1_700_000_000;
});
afterEach(() => table.restore());

describe('watermark store (faked DynamoDB)', () => {
  test('no item means no watermark; the first write creates it only if still absent', async () => {
    const store = createDynamoWatermarkStore(table.client, 'marks', now);
    expect(await store.read('d')).toBeUndefined();
    const first = await store.advance('d', { cursor: 'c1' }, undefined);
    expect(await store.read('d')).toEqual(first);
    expect(table.items.get('d')).toEqual({ dataset: 'd', cursor: 'c1', updatedAt: '2023-11-14T22:13:20.000Z' });
    // A second writer that also saw "no item" loses.
    await expect(store.advance('d', { cursor: 'c9' }, undefined)).rejects.toBeInstanceOf(WatermarkConflictError);
  });

  test('advances only from the state this run last saw, so a stale run cannot move it backwards', async () => {
    const store = createDynamoWatermarkStore(table.client, 'marks', now);
    const seenByA = await store.advance('d', { cursor: 'c1' }, undefined);
    const seenByB = await store.read('d');
    const b = await store.advance('d', { cursor: 'c5' }, seenByB); // run B moves ahead
    await expect(store.advance('d', { cursor: 'c2' }, seenByA)).rejects.toThrow(/was moved by another run/); // run A is stale
    expect(await store.read('d')).toEqual(b);
    await expect(store.advance('d', { cursor: 'c6' }, b)).resolves.toMatchObject({ position: { cursor: 'c6' } });
  });

  test('reads are strongly consistent and writes are conditional', async () => {
    const store = createDynamoWatermarkStore(table.client, 'marks', now);
    const mock = mockClient(table.client);
    mock.on(GetCommand).resolves({});
    mock.on(PutCommand).resolves({});
    await store.read('d');
    await store.advance('d', { cursor: 'c2' }, { position: { cursor: 'c1' }, updatedAt: 'u1' });
    expect(mock.commandCalls(GetCommand)[0].args[0].input).toMatchObject({ TableName: 'marks', Key: { dataset: 'd' }, ConsistentRead: true });
    expect(mock.commandCalls(PutCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: '#position = :expectedPosition AND #updatedAt = :expectedUpdatedAt',
      ExpressionAttributeNames: { '#position': 'cursor', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':expectedPosition': 'c1', ':expectedUpdatedAt': 'u1' },
    });
    mock.restore();
  });

  test('a next-page link is stored as a link, and a later cursor replaces it only from the state this run saw', async () => {
    const store = createDynamoWatermarkStore(table.client, 'marks', now);
    const linked = await store.advance('d', { link: '/records?page=2' }, undefined);
    expect(table.items.get('d')).toEqual({ dataset: 'd', link: '/records?page=2', updatedAt: expect.any(String) });
    expect(await store.read('d')).toEqual(linked);
    await expect(store.advance('d', { cursor: 'c1' }, { ...linked, position: { link: '/records?page=1' } })).rejects.toBeInstanceOf(WatermarkConflictError);
    await store.advance('d', { cursor: 'c1' }, linked);
    expect(table.items.get('d')).toEqual({ dataset: 'd', cursor: 'c1', updatedAt: expect.any(String) });
  });

  test('refuses a malformed item rather than guessing', async () => {
    table.items.set('d', { dataset: 'd', cursor: 7 });
    await expect(createDynamoWatermarkStore(table.client, 'marks').read('d')).rejects.toThrow(/needs a string updatedAt and exactly one of cursor or link/);
    table.items.set('d', { dataset: 'd', cursor: 'c', link: '/l', updatedAt: 'u' });
    await expect(createDynamoWatermarkStore(table.client, 'marks').read('d')).rejects.toThrow(/exactly one of cursor or link/);
  });
});
