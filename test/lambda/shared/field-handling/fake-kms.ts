/**
 * A faked KMS at the SDK boundary: aws-sdk-client-mock answers GenerateDataKey and Decrypt on a real KMSClient
 * with a local AES-256-GCM master key, binding the key id and encryption context like KMS does, so a wrong
 * context really fails to decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'crypto';
import {
  DecryptCommand,
  DecryptCommandInput,
  GenerateDataKeyCommand,
  GenerateDataKeyCommandInput,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSClient,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

export const FAKE_KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000';

export interface FakeKms {
  readonly client: KMSClient;
  readonly mock: ReturnType<typeof mockClient>;
  /** Every plaintext data key handed out, as the very arrays returned (to check they are zeroed later). */
  readonly issuedPlaintexts: Uint8Array[];
  generateDataKeyCalls(): GenerateDataKeyCommandInput[];
  decryptCalls(): DecryptCommandInput[];
  restore(): void;
}

export function createFakeKms(): FakeKms {
  const masterKey = randomBytes(32);
  const issuedPlaintexts: Uint8Array[] = [];
  const client = new KMSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } });
  const mock = mockClient(client);

  const contextAad = (context: Record<string, string> | undefined) =>
    Buffer.from(JSON.stringify([FAKE_KEY_ARN, Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]));
  const metadata = { $metadata: { httpStatusCode: 400 } };

  mock.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyCommandInput) => {
    if (input.KeyId !== FAKE_KEY_ARN) {
      throw new IncorrectKeyException({ message: 'unknown key', ...metadata });
    }
    if (input.KeySpec !== 'AES_256') throw new Error('fake KMS: this test expects KeySpec AES_256');
    const plaintext = new Uint8Array(randomBytes(32));
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
    cipher.setAAD(contextAad(input.EncryptionContext));
    const blob = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    issuedPlaintexts.push(plaintext);
    return { KeyId: FAKE_KEY_ARN, CiphertextBlob: new Uint8Array(blob), Plaintext: plaintext };
  });

  mock.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    if (input.KeyId !== undefined && input.KeyId !== FAKE_KEY_ARN) {
      throw new IncorrectKeyException({ message: 'the ciphertext was not encrypted under this key', ...metadata });
    }
    const blob = Buffer.from(input.CiphertextBlob ?? new Uint8Array());
    try {
      const decipher = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(0, 12), { authTagLength: 16 });
      decipher.setAAD(contextAad(input.EncryptionContext));
      decipher.setAuthTag(blob.subarray(blob.length - 16));
      const plaintext = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
      return { KeyId: FAKE_KEY_ARN, Plaintext: new Uint8Array(plaintext) };
    } catch {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext or encryption context', ...metadata });
    }
  });

  return {
    client,
    mock,
    issuedPlaintexts,
    generateDataKeyCalls: () => mock.commandCalls(GenerateDataKeyCommand).map((c) => c.args[0].input),
    decryptCalls: () => mock.commandCalls(DecryptCommand).map((c) => c.args[0].input),
    restore: () => mock.restore(),
  };
}
