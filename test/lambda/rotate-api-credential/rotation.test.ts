/**
 * The rotation handler end to end: Secrets Manager is faked at the SDK boundary (aws-sdk-client-mock over an
 * in-memory model of the secret's versions and stages); the OAuth2 token endpoint and the API probe are a real
 * HTTPS server on 127.0.0.1 with a certificate generated here, so TLS verification and HTTP are real.
 */
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerRotationEventStep } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler, RotationHandler } from '../../../lambda/rotate-api-credential';
import { createHttpsClient } from '../../../lambda/rotate-api-credential/https-client';
import { FakeSecret } from './fake-secrets-manager';
import { LocalOAuthProvider, selfSignedCertificate, TestCertificate } from './local-oauth-provider';

const CLIENT_ID = 'pipeline-ingest-client';
// Characters that need form encoding in HTTP Basic (RFC 6749 §2.3.1), plus a random part to search logs for.
const CLIENT_SECRET = `cs+S3cr/t=:&%-${randomBytes(16).toString('hex')}`;

const smMock = mockClient(SecretsManagerClient);
let cert: TestCertificate;
let provider: LocalOAuthProvider;
let secret: FakeSecret;
let logs: string[];
let restoreLogOutput: () => void;

/** Captures what the Powertools logger writes (INFO to stdout, WARN/ERROR to stderr) in write order. */
function captureLogOutput(): { lines: string[]; restore: () => void } {
  const lines: string[] = [];
  const capture = ((chunk: string | Uint8Array) => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  const spies = [jest.spyOn(process.stdout, 'write'), jest.spyOn(process.stderr, 'write')];
  for (const spy of spies) spy.mockImplementation(capture);
  return { lines, restore: () => spies.forEach((spy) => spy.mockRestore()) };
}

function makeHandler(options: { env?: Record<string, string>; ca?: string; timeoutMs?: number } = {}): RotationHandler {
  return createHandler({
    secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
    http: createHttpsClient({ ca: options.ca ?? cert.cert, timeoutMs: options.timeoutMs ?? 3_000 }),
    logger: new Logger({ serviceName: 'rotate-api-credential', logLevel: 'DEBUG' }),
    env: options.env ?? {},
  });
}

function credential(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    tokenUrl: provider.url('/oauth2/token'),
    scope: 'records:read',
    probeUrl: provider.url('/probe'),
    owner: 'team-data', // a field the function does not know; it must survive rotation
    ...overrides,
  };
}

function run(handler: RotationHandler, Step: SecretsManagerRotationEventStep, token: string): Promise<void> {
  return handler({ Step, SecretId: secret.arn, ClientRequestToken: token });
}

async function rotateFully(handler: RotationHandler, token: string): Promise<void> {
  secret.startRotation(token);
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await run(handler, step, token);
  }
}

/** Every value that must never appear in a log line or an error message. */
function secretValues(): string[] {
  return [CLIENT_SECRET, ...provider.issued];
}

beforeAll(async () => {
  cert = await selfSignedCertificate();
  provider = await LocalOAuthProvider.start({ ...cert, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});

afterAll(async () => {
  await provider.close();
  smMock.restore();
});

beforeEach(() => {
  provider.reset();
  secret = new FakeSecret('source-api/credential', credential());
  secret.install(smMock);
  ({ lines: logs, restore: restoreLogOutput } = captureLogOutput());
});

afterEach(() => {
  restoreLogOutput();
  // Log hygiene is checked after every test, including the failing paths.
  const output = logs.join('');
  for (const value of secretValues()) expect(output).not.toContain(value);
});

/** Runs `action`, expects it to throw, and checks the message carries no secret value. */
async function expectSafeFailure(action: Promise<unknown>, pattern: RegExp): Promise<Error> {
  const error = await action.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  expect(message).toMatch(pattern);
  for (const value of secretValues()) expect(message).not.toContain(value);
  return error as Error;
}

describe('full rotation (Secrets Manager faked, real local HTTPS OAuth provider)', () => {
  test('the four steps in order leave AWSCURRENT holding a freshly issued bearer token', async () => {
    const oldVersion = secret.versionWith('AWSCURRENT');
    const before = Date.now();

    await rotateFully(makeHandler(), 'token-0001');

    expect(provider.issued).toHaveLength(1);
    expect(secret.versionWith('AWSCURRENT')).toBe('token-0001');
    expect(secret.versionWith('AWSPREVIOUS')).toBe(oldVersion);
    const current = secret.valueAt('AWSCURRENT');
    expect(current).toMatchObject({
      ...credential(),
      accessToken: provider.issued[0],
      tokenType: 'Bearer',
    });
    const expiresAt = Date.parse(String(current?.expiresAt));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000 - 1_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000 + 1_000);
    // The old version is untouched, so readers of AWSPREVIOUS still get a consistent document.
    expect(secret.valueAt('AWSPREVIOUS')).toEqual(credential());
  });

  test('the token request is a client-credentials grant with form-encoded HTTP Basic client authentication', async () => {
    await rotateFully(makeHandler(), 'token-0002');

    expect(provider.tokenRequests).toHaveLength(1);
    const [request] = provider.tokenRequests;
    expect(request.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'records:read',
    });
    // The provider only issued a token because it could decode exactly our client id and secret.
    expect(provider.issued).toHaveLength(1);
    expect(provider.probeRequests).toEqual([`Bearer ${provider.issued[0]}`]);
  });

  test('without a scope in the secret, no scope parameter is sent; a token without expires_in drops expiresAt', async () => {
    secret = new FakeSecret('source-api/credential', credential({ scope: undefined, expiresAt: '2000-01-01T00:00:00.000Z' }));
    secret.install(smMock);
    provider.tokenBehaviour = 'issue-without-expiry';

    await rotateFully(makeHandler(), 'token-0003');

    expect(new URLSearchParams(provider.tokenRequests[0].body).has('scope')).toBe(false);
    const current = secret.valueAt('AWSCURRENT');
    expect(current?.accessToken).toBe(provider.issued[0]);
    expect(current?.tokenType).toBe('Bearer');
    expect(current).not.toHaveProperty('expiresAt');
  });

  test('a second rotation replaces the token again and keeps the previous one as AWSPREVIOUS', async () => {
    const handler = makeHandler();
    await rotateFully(handler, 'token-0004');
    await rotateFully(handler, 'token-0005');

    expect(provider.issued).toHaveLength(2);
    expect(secret.versionWith('AWSCURRENT')).toBe('token-0005');
    expect(secret.valueAt('AWSCURRENT')?.accessToken).toBe(provider.issued[1]);
    expect(secret.versionWith('AWSPREVIOUS')).toBe('token-0004');
  });
});

describe('retries are idempotent (Secrets Manager faked)', () => {
  test('a retried createSecret requests no second token and writes no second version', async () => {
    const handler = makeHandler();
    secret.startRotation('token-0101');
    await run(handler, 'createSecret', 'token-0101');
    const pending = secret.valueAt('AWSPENDING');

    await run(handler, 'createSecret', 'token-0101');

    expect(provider.tokenRequests).toHaveLength(1);
    expect(secret.writes).toBe(1);
    expect(secret.versionCount()).toBe(2);
    expect(secret.valueAt('AWSPENDING')).toEqual(pending);
    expect(smMock.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  test('a retried finishSecret is a no-op', async () => {
    const handler = makeHandler();
    await rotateFully(handler, 'token-0102');
    const stagesBefore = { current: secret.versionWith('AWSCURRENT'), previous: secret.versionWith('AWSPREVIOUS') };
    smMock.resetHistory();

    await run(handler, 'finishSecret', 'token-0102');

    expect(smMock.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect({ current: secret.versionWith('AWSCURRENT'), previous: secret.versionWith('AWSPREVIOUS') }).toEqual(stagesBefore);
  });

  test('setSecret changes nothing at the provider or in the secret', async () => {
    const handler = makeHandler();
    secret.startRotation('token-0103');
    await run(handler, 'createSecret', 'token-0103');
    const requestsBefore = provider.tokenRequests.length;

    await run(handler, 'setSecret', 'token-0103');

    expect(provider.tokenRequests).toHaveLength(requestsBefore);
    expect(secret.writes).toBe(1);
    expect(secret.stagesOf('token-0103')).toEqual(['AWSPENDING']);
  });
});

describe('token endpoint failures (Secrets Manager faked, real local HTTPS provider)', () => {
  test('401 from the token endpoint fails createSecret with a clear message and writes nothing', async () => {
    // The provider has a different secret on record than the one stored in Secrets Manager.
    secret = new FakeSecret('source-api/credential', credential({ clientSecret: `${CLIENT_SECRET}-stale` }));
    secret.install(smMock);
    secret.startRotation('token-0201');

    const error = await expectSafeFailure(
      run(makeHandler(), 'createSecret', 'token-0201'),
      /Token endpoint https:\/\/127\.0\.0\.1:\d+\/oauth2\/token refused the client-credentials grant with HTTP 401 \(invalid_client\)/,
    );
    // The provider echoed the presented (stale) secret in its error body; it must not be repeated.
    expect(error.message).not.toContain(`${CLIENT_SECRET}-stale`);
    expect(logs.join('')).not.toContain(`${CLIENT_SECRET}-stale`);
    expect(secret.writes).toBe(0);
    expect(secret.valueAt('AWSPENDING')).toBeUndefined();
  });

  test.each([
    ['a form-encoded body', 'malformed-form-body' as const],
    ['truncated JSON', 'truncated-json' as const],
  ])('%s instead of a JSON token response fails createSecret without quoting the body', async (_label, behaviour) => {
    provider.tokenBehaviour = behaviour;
    secret.startRotation('token-0202');

    await expectSafeFailure(
      run(makeHandler(), 'createSecret', 'token-0202'),
      /returned HTTP 200 with a body that is not a JSON object/,
    );
    // The body contained a real token; it is neither in the message (checked above) nor stored.
    expect(provider.issued).toHaveLength(1);
    expect(secret.writes).toBe(0);
  });

  test('a token type other than Bearer is refused', async () => {
    provider.tokenBehaviour = 'non-bearer';
    secret.startRotation('token-0203');

    await expectSafeFailure(run(makeHandler(), 'createSecret', 'token-0203'), /issued a token of type "mac" other than Bearer/);
    expect(secret.writes).toBe(0);
  });

  test('a token endpoint that never answers fails createSecret at the request deadline', async () => {
    provider.tokenBehaviour = 'hang';
    secret.startRotation('token-0204');
    const started = Date.now();

    await expectSafeFailure(run(makeHandler({ timeoutMs: 300 }), 'createSecret', 'token-0204'), /timed out after 300 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(secret.writes).toBe(0);
  });

  test('a secret that is not valid JSON fails without quoting it', async () => {
    secret = new FakeSecret('source-api/credential', credential());
    secret.install(smMock);
    // Put a raw, unparseable value as AWSCURRENT through the fake's own API.
    await new SecretsManagerClient({ region: 'eu-west-1' }).send(
      new PutSecretValueCommand({ SecretId: secret.arn, ClientRequestToken: 'v-broken', SecretString: `{"clientSecret":"${CLIENT_SECRET}"` }),
    );
    secret.startRotation('token-0205');

    await expectSafeFailure(run(makeHandler(), 'createSecret', 'token-0205'), /Secret version v-broken \(AWSCURRENT\) is not valid JSON/);
    expect(provider.tokenRequests).toHaveLength(0);
  });

  test('a secret missing required fields names the fields, not the values', async () => {
    secret = new FakeSecret('source-api/credential', { clientSecret: CLIENT_SECRET, tokenUrl: 42 });
    secret.install(smMock);
    secret.startRotation('token-0206');

    await expectSafeFailure(
      run(makeHandler(), 'createSecret', 'token-0206'),
      /clientId must be a non-empty string; tokenUrl must be a non-empty string/,
    );
  });
});

describe('testSecret guards AWSCURRENT (Secrets Manager faked, real local HTTPS probe)', () => {
  test.each([
    [401, 'status-401' as const],
    [500, 'status-500' as const],
  ])('a probe answering %i fails testSecret and leaves AWSCURRENT untouched', async (status, behaviour) => {
    const handler = makeHandler();
    const currentBefore = secret.versionWith('AWSCURRENT');
    const valueBefore = secret.valueAt('AWSCURRENT');
    secret.startRotation('token-0301');
    await run(handler, 'createSecret', 'token-0301');
    await run(handler, 'setSecret', 'token-0301');
    provider.probeBehaviour = behaviour;

    await expectSafeFailure(
      run(handler, 'testSecret', 'token-0301'),
      new RegExp(`Probe https://127\\.0\\.0\\.1:\\d+/probe rejected the pending access token with HTTP ${status}`),
    );

    expect(provider.probeRequests).toEqual([`Bearer ${provider.issued[0]}`]);
    expect(secret.versionWith('AWSCURRENT')).toBe(currentBefore);
    expect(secret.valueAt('AWSCURRENT')).toEqual(valueBefore);
    expect(secret.stagesOf('token-0301')).toEqual(['AWSPENDING']);
    expect(smMock.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('PROBE_URL from the environment takes precedence over probeUrl in the secret', async () => {
    secret = new FakeSecret('source-api/credential', credential({ probeUrl: provider.url('/no-such-endpoint') }));
    secret.install(smMock);

    await rotateFully(makeHandler({ env: { PROBE_URL: provider.url('/probe') } }), 'token-0302');

    expect(provider.probeRequests).toEqual([`Bearer ${provider.issued[0]}`]);
    expect(secret.versionWith('AWSCURRENT')).toBe('token-0302');
  });

  test('without PROBE_URL or probeUrl, testSecret refuses to pass', async () => {
    secret = new FakeSecret('source-api/credential', credential({ probeUrl: undefined }));
    secret.install(smMock);
    const handler = makeHandler();
    secret.startRotation('token-0303');
    await run(handler, 'createSecret', 'token-0303');

    await expectSafeFailure(run(handler, 'testSecret', 'token-0303'), /set the PROBE_URL environment variable or probeUrl/);
    expect(secret.versionWith('AWSCURRENT')).toBe('v-initial-0000');
  });

  test('an http:// PROBE_URL is refused before the pending token is sent anywhere', async () => {
    const handler = makeHandler({ env: { PROBE_URL: `http://127.0.0.1:${provider.port}/probe` } });
    secret.startRotation('token-0304');
    await run(handler, 'createSecret', 'token-0304');

    await expectSafeFailure(run(handler, 'testSecret', 'token-0304'), /PROBE_URL must use https:\/\//);
    expect(provider.probeRequests).toHaveLength(0);
  });
});

describe('transport security (Secrets Manager faked, real TLS)', () => {
  test('an http:// tokenUrl is refused and no connection is made', async () => {
    let connections = 0;
    const plain = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const { port } = plain.address() as net.AddressInfo;
    try {
      secret = new FakeSecret('source-api/credential', credential({ tokenUrl: `http://127.0.0.1:${port}/oauth2/token` }));
      secret.install(smMock);
      secret.startRotation('token-0401');

      await expectSafeFailure(
        run(makeHandler(), 'createSecret', 'token-0401'),
        /tokenUrl in the secret must use https:\/\/ \(got http:\/\/\)/,
      );
      expect(connections).toBe(0);
      expect(secret.writes).toBe(0);
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  test('a token endpoint with a certificate the function does not trust is refused before any credential is sent', async () => {
    const otherCert = await selfSignedCertificate();
    const impostor = await LocalOAuthProvider.start({ ...otherCert, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    try {
      secret = new FakeSecret('source-api/credential', credential({ tokenUrl: impostor.url('/oauth2/token') }));
      secret.install(smMock);
      secret.startRotation('token-0402');

      // The function trusts `cert` only; the impostor's certificate is equally valid for 127.0.0.1.
      await expectSafeFailure(
        run(makeHandler(), 'createSecret', 'token-0402'),
        /TLS certificate of https:\/\/127\.0\.0\.1:\d+\/oauth2\/token was rejected \(DEPTH_ZERO_SELF_SIGNED_CERT\)/,
      );
      expect(impostor.tokenRequests).toHaveLength(0);
      expect(impostor.issued).toHaveLength(0);
      expect(secret.writes).toBe(0);
    } finally {
      await impostor.close();
    }
  });

  test('with the default trust store (as deployed) a self-signed token endpoint is refused', async () => {
    const handler = createHandler({
      secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
      http: createHttpsClient(),
      logger: new Logger({ serviceName: 'rotate-api-credential', logLevel: 'DEBUG' }),
      env: {},
    });
    secret.startRotation('token-0403');

    await expectSafeFailure(run(handler, 'createSecret', 'token-0403'), /was rejected \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    expect(provider.tokenRequests).toHaveLength(0);
  });
});

describe('event validation (Secrets Manager faked)', () => {
  test('a secret without rotation enabled is refused', async () => {
    secret.rotationEnabled = false;
    secret.startRotation('token-0501');
    await expectSafeFailure(run(makeHandler(), 'createSecret', 'token-0501'), /does not have rotation enabled/);
    expect(provider.tokenRequests).toHaveLength(0);
  });

  test('a token that is not a version of the secret is refused', async () => {
    await expectSafeFailure(run(makeHandler(), 'createSecret', 'token-unknown'), /Secret version token-unknown has no stage/);
    expect(provider.tokenRequests).toHaveLength(0);
  });

  test('a version that is neither AWSCURRENT nor AWSPENDING is refused', async () => {
    const handler = makeHandler();
    await rotateFully(handler, 'token-0502');
    // The original version now carries AWSPREVIOUS only.
    await expectSafeFailure(run(handler, 'testSecret', 'v-initial-0000'), /is not set as AWSPENDING/);
  });

  test('any step for a version that is already AWSCURRENT returns without touching anything', async () => {
    const handler = makeHandler();
    for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await run(handler, step, 'v-initial-0000');
    }
    expect(provider.tokenRequests).toHaveLength(0);
    expect(provider.probeRequests).toHaveLength(0);
    expect(secret.writes).toBe(0);
    expect(secret.versionWith('AWSCURRENT')).toBe('v-initial-0000');
  });

  test('an unknown step is refused', async () => {
    secret.startRotation('token-0503');
    await expectSafeFailure(
      makeHandler()({ Step: 'deleteSecret' as SecretsManagerRotationEventStep, SecretId: secret.arn, ClientRequestToken: 'token-0503' }),
      /unknown Step/,
    );
  });
});

describe('logging', () => {
  test('logs name the step, the secret ARN and version ids, and never a client secret or access token', async () => {
    const handler = makeHandler();
    await rotateFully(handler, 'token-0601');
    provider.probeBehaviour = 'status-401';
    secret.startRotation('token-0602');
    await run(handler, 'createSecret', 'token-0602');
    await run(handler, 'testSecret', 'token-0602').catch(() => undefined);

    const entries = logs
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => [e.level, e.step, e.versionId])).toEqual([
      ['INFO', 'createSecret', 'token-0601'],
      ['INFO', 'setSecret', 'token-0601'],
      ['INFO', 'testSecret', 'token-0601'],
      ['INFO', 'finishSecret', 'token-0601'],
      ['INFO', 'createSecret', 'token-0602'],
      ['ERROR', 'testSecret', 'token-0602'],
    ]);
    for (const entry of entries) expect(entry.secretArn).toBe(secret.arn);
    expect(entries[3].previousVersionId).toBe('v-initial-0000');
    expect(String(entries[5].errorMessage)).toMatch(/rejected the pending access token with HTTP 401/);
    // Both issued tokens and the client secret were in play; none appears (also checked in afterEach).
    expect(provider.issued).toHaveLength(2);
    const output = logs.join('');
    for (const value of secretValues()) expect(output).not.toContain(value);
  });
});

/**
 * What ApiCredential deploys (GenerateSecretString: its template plus a generated clientSecret) before the operator
 * stores the client; test/unit/api-credential.test.ts checks the construct produces a value of this shape.
 */
function placeholder(): Record<string, unknown> {
  return {
    clientId: 'SET-ME-WITH-put-secret-value', tokenUrl: provider.url('/oauth2/token'), probeUrl: provider.url('/probe'),
    placeholder: true, clientSecret: 'GeneratedStandIn0123456789',
  };
}

async function putPending(token: string, value: Record<string, unknown>): Promise<void> {
  await new SecretsManagerClient({ region: 'eu-west-1' }).send(new PutSecretValueCommand({
    SecretId: secret.arn, ClientRequestToken: token, SecretString: JSON.stringify(value), VersionStages: ['AWSPENDING'],
  }));
}

describe('the deployed placeholder (Secrets Manager faked, real local HTTPS provider)', () => {
  // With RotateImmediately false, Secrets Manager tests the rotation configuration by running testSecret on an
  // AWSPENDING version it creates and then removes (RotateSecret API reference).
  test('testSecret passes on a pending copy of the placeholder without calling the source or the token endpoint', async () => {
    secret = new FakeSecret('source-api/credential', placeholder());
    secret.install(smMock);
    await putPending('token-0601', placeholder());

    await run(makeHandler(), 'testSecret', 'token-0601');

    expect(provider.probeRequests).toHaveLength(0);
    expect(provider.tokenRequests).toHaveLength(0);
    expect(secret.versionWith('AWSCURRENT')).toBe('v-initial-0000');
    expect(logs.join('')).toContain('AWSPENDING is the deployed placeholder');
  });

  test('testSecret passes on a pending label without a value only while AWSCURRENT is the placeholder', async () => {
    secret = new FakeSecret('source-api/credential', placeholder());
    secret.install(smMock);
    secret.startRotation('token-0602');
    await run(makeHandler(), 'testSecret', 'token-0602');
    expect(provider.probeRequests).toHaveLength(0);

    // A real credential: an AWSPENDING without a value is a broken rotation, not a configuration test.
    secret = new FakeSecret('source-api/credential', credential());
    secret.install(smMock);
    secret.startRotation('token-0603');
    await expectSafeFailure(run(makeHandler(), 'testSecret', 'token-0603'), /can't find|not find|ResourceNotFound/i);
  });

  test('a real pending credential is still tested against the source', async () => {
    secret.startRotation('token-0604');
    await run(makeHandler(), 'createSecret', 'token-0604');
    await run(makeHandler(), 'testSecret', 'token-0604');
    expect(provider.probeRequests).toEqual([`Bearer ${provider.issued[0]}`]);
  });

  test('a value marked placeholder that carries an access token is tested like any other', async () => {
    secret.startRotation('token-0605');
    await run(makeHandler(), 'createSecret', 'token-0605');
    const pending = { ...secret.valueAt('AWSPENDING'), placeholder: true };
    await putPending('token-0606', pending);
    provider.probeBehaviour = 'status-401';
    await expectSafeFailure(run(makeHandler(), 'testSecret', 'token-0606'), /rejected the pending access token with HTTP 401/);
    expect(provider.probeRequests).toHaveLength(1);
  });

  test('createSecret refuses to rotate the placeholder: its generated client secret never reaches the token endpoint', async () => {
    secret = new FakeSecret('source-api/credential', placeholder());
    secret.install(smMock);
    secret.startRotation('token-0607');
    await expectSafeFailure(run(makeHandler(), 'createSecret', 'token-0607'), /still holds the placeholder deployed with the stack.*put-secret-value/);
    expect(provider.tokenRequests).toHaveLength(0);
    expect(secret.writes).toBe(0);
  });
});
