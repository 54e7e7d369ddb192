/**
 * In-process stand-ins for the AWS services the local run has no local server for. Each fakes the SDK boundary
 * the real handler code calls, so the handlers run unchanged:
 * - KMS: GenerateDataKey / Decrypt with a random local AES-256 master key that exists only in this process
 *   (data keys are wrapped with AES-256-GCM, the encryption context bound as associated data, as KMS binds it);
 * - Secrets Manager: a SecretCache over an in-memory map (the API bearer token and a generated tokenization key);
 * - DynamoDB: the ingest watermark table in memory, with the conditional puts the watermark store relies on.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DocumentClientLike } from '../../lambda/ingest/watermark';
import type { KmsClientLike } from '../../lambda/shared/field-handling';
import { SecretCache } from '../../lambda/shared/secrets';

export const LOCAL_KEY_ID = 'arn:aws:kms:us-east-1:000000000000:key/local-run-data-key';

function contextAad(context: Record<string, string> | undefined): Buffer {
  const sorted = Object.keys(context ?? {}).sort().map((k) => [k, (context ?? {})[k]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

/** KMS with one local master key; ciphertext blob = iv (12) | tag (16) | wrapped data key. */
export function localKms(): KmsClientLike {
  const master = randomBytes(32);
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GenerateDataKeyCommand) {
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', master, iv);
      cipher.setAAD(contextAad(command.input.EncryptionContext));
      const wrapped = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return { KeyId: LOCAL_KEY_ID, Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(Buffer.concat([iv, cipher.getAuthTag(), wrapped])) };
    }
    if (command instanceof DecryptCommand) {
      const blob = Buffer.from(command.input.CiphertextBlob ?? new Uint8Array());
      const decipher = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
      decipher.setAAD(contextAad(command.input.EncryptionContext));
      decipher.setAuthTag(blob.subarray(12, 28));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
      return { KeyId: LOCAL_KEY_ID, Plaintext: new Uint8Array(plaintext) };
    }
    throw new Error(`local KMS: ${(command as { constructor?: { name?: string } })?.constructor?.name ?? 'this command'} is not supported`);
  };
  return { send } as unknown as KmsClientLike;
}

/** A SecretCache over fixed values (the real cache logic, no Secrets Manager). */
export function localSecrets(values: Readonly<Record<string, unknown>>): SecretCache {
  const text = new Map(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
  return new SecretCache({ get: async (name: string) => text.get(name) });
}

/** The ingest watermark table in memory: GetCommand, and PutCommand with the two conditions the store uses. */
export function localWatermarkTable(): DocumentClientLike {
  const items = new Map<string, Record<string, unknown>>();
  const send = async (command: unknown): Promise<unknown> => {
    if (command instanceof GetCommand) {
      const item = items.get(String(command.input.Key?.dataset));
      return item ? { Item: { ...item } } : {};
    }
    if (command instanceof PutCommand) {
      const { Item, ConditionExpression, ExpressionAttributeNames = {}, ExpressionAttributeValues = {} } = command.input;
      const key = String(Item?.dataset);
      const existing = items.get(key);
      const holds = ConditionExpression === undefined
        || (ConditionExpression.startsWith('attribute_not_exists') ? existing === undefined
          : ConditionExpression.split(' AND ').every((clause) => {
            const [name, value] = clause.split(' = ').map((s) => s.trim());
            return existing !== undefined && existing[ExpressionAttributeNames[name]] === ExpressionAttributeValues[value];
          }));
      if (!holds) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
      items.set(key, { ...Item });
      return {};
    }
    throw new Error('local DynamoDB: only Get and Put are supported');
  };
  return { send } as unknown as DocumentClientLike;
}
