/**
 * The bucket policies of the synthesized dev stack, evaluated against the exact PutObject requests the handlers
 * send (captured at the SDK boundary with aws-sdk-client-mock: the local S3 does not enforce bucket policies) and
 * against the writes AWS services make (Lambda's on-failure destination, CloudTrail). The request context maps the
 * SDK input to what S3 evaluates: ServerSideEncryption → s3:x-amz-server-side-encryption, SSEKMSKeyId →
 * s3:x-amz-server-side-encryption-aws-kms-key-id, plus aws:SecureTransport, s3:TlsVersion and aws:PrincipalArn.
 */
import { PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { IConstruct } from 'constructs';
import { parseIngestSettings } from '../../lambda/ingest/environment';
import { createS3QuarantineWriter } from '../../lambda/ingest/quarantine';
import { parseLoadSettings } from '../../lambda/load/environment';
import { writeQuarantine } from '../../lambda/load/load';
import { parseStoreSettings } from '../../lambda/store/environment';
import { runStore } from '../../lambda/store/store';
import { loadDatasetsConfig } from '../../lib/config';
import { PipelineFunction } from '../../lib/constructs/compute/pipeline-function';
import { FAILURE_DESTINATION_PREFIX } from '../../lib/constructs/pipeline/store-stage';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp } from '../helpers/app';
import {
  bucketPolicyStatements, ContextValue, evaluate, FAKE_ACCOUNT, fakeName, Request, resolveTokens, Resources, roleStatements, Statement,
} from '../helpers/iam-policy-evaluator';
import { mskEvent } from '../helpers/msk';
import { RecordingLogger, RecordingMetrics } from '../helpers/stage-recorders';

const SSE = 's3:x-amz-server-side-encryption';
const KEY_ID = 's3:x-amz-server-side-encryption-aws-kms-key-id';

describe('policy evaluator', () => {
  const req = (context: Record<string, ContextValue>, extra: Partial<Request> = {}): Request => ({
    principal: { AWS: `arn:aws:iam::${FAKE_ACCOUNT}:role/Writer` }, action: 's3:PutObject', resource: 'arn:aws:s3:::b/dataset=x/k', context, ...extra,
  });
  const deny = (Condition: Statement['Condition']): Statement => ({ Sid: 'D', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*', Condition });
  const denied = (condition: Statement['Condition'], context: Record<string, ContextValue>) => evaluate([deny(condition)], req(context)).decision === 'ExplicitDeny';

  test('string operators, case-sensitive unless IgnoreCase, wildcards only in Like', () => {
    expect(denied({ StringEquals: { k: 'aws:kms' } }, { k: 'aws:kms' })).toBe(true);
    expect(denied({ StringEquals: { k: 'aws:kms' } }, { k: 'AWS:KMS' })).toBe(false);
    expect(denied({ StringEqualsIgnoreCase: { k: 'aws:kms' } }, { k: 'AWS:KMS' })).toBe(true);
    expect(denied({ StringEquals: { k: 'a*' } }, { k: 'abc' })).toBe(false);
    expect(denied({ StringLike: { k: 'a*c' } }, { k: 'abbbc' })).toBe(true);
    expect(denied({ StringLike: { k: 'a?c' } }, { k: 'abbc' })).toBe(false);
    expect(denied({ StringNotLike: { k: 'a*' } }, { k: 'xyz' })).toBe(true);
    expect(denied({ StringNotEquals: { k: 'a' } }, { k: 'a' })).toBe(false);
  });

  test('values of one key are ORed (NOR when negated); keys and operators are ANDed', () => {
    expect(denied({ StringEquals: { k: ['a', 'b'] } }, { k: 'b' })).toBe(true);
    expect(denied({ StringNotEquals: { k: ['a', 'b'] } }, { k: 'b' })).toBe(false);
    expect(denied({ StringNotEquals: { k: ['a', 'b'] } }, { k: 'c' })).toBe(true);
    expect(denied({ StringEquals: { k: 'a', j: 'b' } }, { k: 'a', j: 'x' })).toBe(false);
    expect(denied({ StringEquals: { k: 'a' }, Bool: { t: 'true' } }, { k: 'a', t: true })).toBe(true);
    expect(denied({ StringEquals: { k: 'a' }, Bool: { t: 'true' } }, { k: 'a', t: false })).toBe(false);
  });

  test('a missing key: positive operators false, negated true, IfExists true', () => {
    expect(denied({ StringEquals: { k: 'a' } }, {})).toBe(false);
    expect(denied({ StringNotEquals: { k: 'a' } }, {})).toBe(true);
    expect(denied({ ArnNotLike: { k: 'arn:*' } }, {})).toBe(true);
    expect(denied({ StringNotEqualsIfExists: { k: 'a' } }, {})).toBe(true);
    expect(denied({ StringEqualsIfExists: { k: 'a' } }, {})).toBe(true);
    expect(denied({ StringEqualsIfExists: { k: 'a' } }, { k: 'b' })).toBe(false);
    expect(denied({ BoolIfExists: { t: 'false' } }, {})).toBe(true);
    expect(denied({ BoolIfExists: { t: 'false' } }, { t: true })).toBe(false);
  });

  test('Null tests presence only', () => {
    expect(denied({ Null: { k: 'true' } }, {})).toBe(true);
    expect(denied({ Null: { k: 'true' } }, { k: 'x' })).toBe(false);
    expect(denied({ Null: { k: 'false' } }, { k: 'x' })).toBe(true);
    expect(denied({ Null: { k: 'false' } }, {})).toBe(false);
  });

  test('set qualifiers: ForAnyValue needs one matching value, ForAllValues needs all (and holds for a missing key)', () => {
    expect(denied({ 'ForAnyValue:StringEquals': { k: ['a', 'b'] } }, { k: ['x', 'b'] })).toBe(true);
    expect(denied({ 'ForAnyValue:StringEquals': { k: ['a', 'b'] } }, { k: ['x', 'y'] })).toBe(false);
    expect(denied({ 'ForAnyValue:StringEquals': { k: 'a' } }, {})).toBe(false);
    expect(denied({ 'ForAllValues:StringEquals': { k: ['a', 'b'] } }, { k: ['a', 'b'] })).toBe(true);
    expect(denied({ 'ForAllValues:StringEquals': { k: ['a', 'b'] } }, { k: ['a', 'x'] })).toBe(false);
    expect(denied({ 'ForAllValues:StringEquals': { k: 'a' } }, {})).toBe(true);
    expect(denied({ 'ForAnyValue:StringNotEquals': { k: 'a' } }, { k: ['a', 'x'] })).toBe(true);
  });

  test('Bool, numeric and ARN operators; condition key names are case-insensitive', () => {
    expect(denied({ Bool: { 'aws:SecureTransport': 'false' } }, { 'aws:securetransport': false })).toBe(true);
    expect(denied({ NumericLessThan: { 's3:TlsVersion': 1.2 } }, { 's3:TlsVersion': 1.1 })).toBe(true);
    expect(denied({ NumericLessThan: { 's3:TlsVersion': 1.2 } }, { 's3:TlsVersion': 1.2 })).toBe(false);
    expect(denied({ NumericGreaterThanEquals: { n: 3 } }, { n: 3 })).toBe(true);
    expect(denied({ ArnLike: { 'aws:SourceArn': 'arn:aws:cloudtrail:*:111122223333:trail/*' } }, { 'aws:SourceArn': 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/t' })).toBe(true);
    expect(denied({ ArnEquals: { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:1:t' } }, { 'aws:SourceArn': 'arn:aws:sns:eu-west-1:1:u' })).toBe(false);
    expect(() => denied({ DateLessThan: { k: 'x' } }, { k: 'x' })).toThrow(/not supported/);
    expect(() => denied({ 'ForSomeValues:StringEquals': { k: 'x' } }, { k: 'x' })).toThrow(/not supported/);
    expect(() => denied({ StringEquals: { k: { 'Fn::GetAtt': ['K', 'Arn'] } } }, { k: 'x' })).toThrow(/unresolved/);
  });

  test('explicit deny wins; no allow is an implicit deny; principal, action and resource must match', () => {
    const allow: Statement = { Sid: 'A', Effect: 'Allow', Action: 's3:Put*', Resource: 'arn:aws:s3:::b/dataset=x/*' };
    expect(evaluate([allow], req({})).decision).toBe('Allow');
    expect(evaluate([allow, deny({ Null: { k: 'true' } })], req({})).decision).toBe('ExplicitDeny');
    expect(evaluate([allow], req({}, { resource: 'arn:aws:s3:::b/dataset=y/k' })).decision).toBe('ImplicitDeny');
    expect(evaluate([allow], req({}, { action: 's3:GetObject' })).decision).toBe('ImplicitDeny');
    const forTrail: Statement = { Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:PutObject', Resource: 'arn:aws:s3:::b/*' };
    expect(evaluate([forTrail], req({})).decision).toBe('ImplicitDeny');
    expect(evaluate([forTrail], req({}, { principal: { Service: 'cloudtrail.amazonaws.com' } })).decision).toBe('Allow');
  });
});

/** The request S3 evaluates for a PutObject sent over TLS 1.2 by `principal`. */
function putRequest(input: PutObjectCommandInput, principal: Request['principal'], extra: Record<string, ContextValue> = {}): Request {
  const context: Record<string, ContextValue> = { 'aws:SecureTransport': true, 's3:TlsVersion': 1.2, ...extra };
  if ('AWS' in principal) context['aws:PrincipalArn'] = principal.AWS;
  if (input.ServerSideEncryption !== undefined) context[SSE] = input.ServerSideEncryption;
  if (input.SSEKMSKeyId !== undefined) context[KEY_ID] = input.SSEKMSKeyId;
  if (input.SSECustomerAlgorithm !== undefined) context['s3:x-amz-server-side-encryption-customer-algorithm'] = input.SSECustomerAlgorithm;
  return { principal, action: 's3:PutObject', resource: `arn:aws:s3:::${input.Bucket}/${input.Key}`, context };
}

describe('bucket policies against the writes each handler sends (dev stack, S3 faked with aws-sdk-client-mock)', () => {
  let stack: SecurePipelineStack;
  let resources: Resources;
  let s3: S3Client;
  let mock: ReturnType<typeof mockClient>;
  const datasets = loadDatasetsConfig(EXAMPLE_DATASETS).datasets;

  beforeAll(() => {
    stack = buildPipelineStack(testApp(), 'dev');
    resources = Template.fromStack(stack).toJSON().Resources as Resources;
  });
  beforeEach(() => {
    s3 = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' } });
    mock = mockClient(s3);
    mock.on(PutObjectCommand).resolves({});
  });
  afterEach(() => mock.restore());

  const id = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as never);
  const puts = (): PutObjectCommandInput[] => mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input as PutObjectCommandInput);
  const fnProps = (fn: PipelineFunction) => resources[id(fn.function)]!.Properties as { Environment: { Variables: Record<string, unknown> }; Role: { 'Fn::GetAtt': [string, string] } };
  /** The function's environment as deployed, tokens resolved to the evaluator's fake values. */
  const envOf = (fn: PipelineFunction, overrides: Record<string, string> = {}) =>
    ({ ...(resolveTokens(fnProps(fn).Environment.Variables, resources) as Record<string, string>), AWS_REGION: 'eu-west-1', ...overrides });
  const roleOf = (fn: PipelineFunction) => {
    const logicalId = fnProps(fn).Role['Fn::GetAtt'][0];
    return { logicalId, arn: resolveTokens(fnProps(fn).Role, resources) as string };
  };
  const bucketIdByName = (name: string) => {
    const found = Object.keys(resources).find((k) => resources[k]!.Type === 'AWS::S3::Bucket' && fakeName(k) === name);
    if (found === undefined) throw new Error(`no bucket named ${name}`);
    return found;
  };
  /** Bucket policy and the writer's identity policies together, as S3 evaluates a same-account request. */
  const decide = (request: Request, roleLogicalId?: string) => {
    const bucket = request.resource.slice('arn:aws:s3:::'.length).split('/')[0]!;
    return evaluate([...bucketPolicyStatements(resources, bucketIdByName(bucket)), ...(roleLogicalId ? roleStatements(resources, roleLogicalId) : [])], request);
  };
  const ingestBatch = (dataset: string) => ({
    dataset, runId: 'run-1', page: 1, quarantinedAt: new Date('2024-05-01T12:00:00Z'),
    entries: [{ index: 0, form: 'redacted' as const, record: { id: '[REDACTED]' }, reasons: ['field "id" is required but missing'] }],
  });
  const ingestPut = async (name: string) => {
    const fn = stack.pipeline.ingest.get(name)!.function;
    const dataset = datasets.find((d) => d.name === name)!;
    // The brokers are a deploy-time value; every S3 setting comes from the template.
    const settings = parseIngestSettings(envOf(fn, { BOOTSTRAP_BROKERS: 'b-1.msk.example.internal:9098' }), dataset);
    await createS3QuarantineWriter(s3, settings.quarantineBucket, settings.quarantineKeyArn).write(ingestBatch(name));
    return { input: puts()[0]!, role: roleOf(fn) };
  };

  test.each(datasets.map((d) => d.name))('ingest of %s: its quarantine write names the quarantine key and is allowed', async (name) => {
    const { input, role } = await ingestPut(name);
    const quarantineKey = resolveTokens({ 'Fn::GetAtt': [id(stack.pipeline.quarantineBucket.encryptionKey), 'Arn'] }, resources);
    expect(input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: quarantineKey });
    expect(decide(putRequest(input, { AWS: role.arn }), role.logicalId)).toMatchObject({ decision: 'Allow', denies: [] });
  });

  test('the quarantine write as it was (aws:kms, no key) is denied by the policy as it was, and still refused now', async () => {
    const { input, role } = await ingestPut('customer_orders');
    const asItWas: PutObjectCommandInput = { ...input, SSEKMSKeyId: undefined };
    const request = putRequest(asItWas, { AWS: role.arn });
    // The statements before this change: `...IfExists` with a negated operator is true when the header is absent.
    const keyArn = request.context[KEY_ID] ?? input.SSEKMSKeyId!;
    const objects = `arn:aws:s3:::${input.Bucket}/*`;
    const oldPolicy: Statement[] = [
      { Sid: 'DenyPutWithoutKms', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: objects, Condition: { StringNotEqualsIfExists: { [SSE]: 'aws:kms' } } },
      { Sid: 'DenyPutWithOtherKey', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:PutObject', Resource: objects, Condition: { StringNotEqualsIfExists: { [KEY_ID]: keyArn } } },
    ];
    expect(evaluate(oldPolicy, request)).toMatchObject({ decision: 'ExplicitDeny', denies: ['DenyPutWithOtherKey'] });
    // Lambda's header-less on-failure write was refused by the old policy too.
    expect(evaluate(oldPolicy, putRequest({ Bucket: input.Bucket, Key: 'aws/lambda/x' }, { AWS: role.arn })).decision).toBe('ExplicitDeny');
    // Now: S3 would use aws/s3 for an aws:kms upload naming no key, so it is refused on purpose.
    expect(decide(request, role.logicalId)).toMatchObject({ decision: 'ExplicitDeny', denies: ['DenyPutKmsWithoutKey'] });
  });

  test.each(datasets.map((d) => d.name))('store of %s: curated and quarantine writes name their bucket\'s key and are allowed', async (name) => {
    const stage = stack.pipeline.store.get(name)!;
    const settings = parseStoreSettings(envOf(stage.function));
    const good = { _dataset: name, id: 'r-1' };
    await runStore(mskEvent([
      { topic: `${name}.clean`, partition: 0, offset: 1, timestamp: Date.parse('2024-05-01T12:00:00Z'), key: 'r-1', value: JSON.stringify(good) },
      { topic: `${name}.clean`, partition: 0, offset: 2, timestamp: Date.parse('2024-05-01T12:00:00Z'), key: 'r-2', value: 'not json' },
    ]), { s3, settings, logger: new RecordingLogger(), metrics: new RecordingMetrics(), now: () => new Date('2024-05-01T12:05:00Z') });
    const written = puts();
    expect(written.map((p) => p.Bucket).sort()).toEqual([settings.curatedBucket, settings.quarantineBucket].sort());
    const role = roleOf(stage.function);
    for (const input of written) {
      expect(input.SSEKMSKeyId).toBe(input.Bucket === settings.curatedBucket ? settings.curatedKeyArn : settings.quarantineKeyArn);
      expect(decide(putRequest(input, { AWS: role.arn }), role.logicalId)).toMatchObject({ decision: 'Allow', denies: [] });
    }
    // The curated key is the classification's, and differs from the quarantine key unless both are Restricted.
    expect(settings.curatedKeyArn).toBe(resolveTokens({ 'Fn::GetAtt': [id(stack.pipeline.curatedBuckets.get(datasets.find((d) => d.name === name)!.classification)!.encryptionKey), 'Arn'] }, resources));
  });

  test('store: Lambda\'s on-failure destination write (no encryption headers) is allowed and gets the default SSE-KMS', () => {
    const stage = stack.pipeline.store.get('customer_orders')!;
    const role = roleOf(stage.function);
    const bucket = fakeName(id(stack.pipeline.quarantineBucket.bucket));
    const request = putRequest({ Bucket: bucket, Key: `${FAILURE_DESTINATION_PREFIX}0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0/2024/05/01/12/batch.json` }, { AWS: role.arn });
    expect(request.context[SSE]).toBeUndefined();
    expect(decide(request, role.logicalId)).toMatchObject({ decision: 'Allow', denies: [] });
    // What "no header" gets: the bucket's default encryption, SSE-KMS under the bucket's own key.
    const bucketProps = resources[id(stack.pipeline.quarantineBucket.bucket)]!.Properties as { BucketEncryption: unknown };
    expect(bucketProps.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [id(stack.pipeline.quarantineBucket.encryptionKey), 'Arn'] } },
    }] });
  });

  test('load: its quarantine write names the quarantine key and is allowed', async () => {
    const fn = stack.pipeline.load.function;
    const settings = parseLoadSettings(envOf(fn, { DB_PORT: '5432' }));
    await writeQuarantine({ s3, settings, now: () => new Date('2024-05-01T12:00:00Z') },
      { bucket: 'curated', key: 'dataset=customer_orders/dt=2024-05-01/0-1-2.jsonl.gz', eventName: 'ObjectCreated:Put' },
      'customer_orders', 'dataset=customer_orders/dt=2024-05-01/load-0-1-2.jsonl.gz', [{ line: 1, reasons: ['amount is not a number'] }]);
    const [input] = puts();
    expect(input).toMatchObject({ ServerSideEncryption: 'aws:kms', SSEKMSKeyId: settings.quarantineKeyArn });
    const role = roleOf(fn);
    expect(decide(putRequest(input!, { AWS: role.arn }), role.logicalId)).toMatchObject({ decision: 'Allow', denies: [] });
  });

  test('CloudTrail\'s delivery (aws:kms with the audit key, bucket-owner-full-control) is allowed on the trail bucket', () => {
    const trail = Object.values(resources).find((r) => r.Type === 'AWS::CloudTrail::Trail')!.Properties!;
    const bucket = resolveTokens(trail.S3BucketName, resources) as string;
    const key = resolveTokens(trail.KMSKeyId, resources) as string;
    const statements = bucketPolicyStatements(resources, bucketIdByName(bucket));
    const sourceArn = (statements.find((s) => s.Sid === 'CloudTrailWritesLogFiles')!.Condition!.StringEquals as Record<string, string>)['aws:SourceArn']!;
    const input = { Bucket: bucket, Key: `AWSLogs/${FAKE_ACCOUNT}/CloudTrail/eu-west-1/2024/05/01/file.json.gz`, ServerSideEncryption: 'aws:kms' as const, SSEKMSKeyId: key };
    const request = putRequest(input, { Service: 'cloudtrail.amazonaws.com' }, { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': sourceArn });
    expect(decide(request)).toMatchObject({ decision: 'Allow', denies: [] });
  });

  describe('refused writes', () => {
    let allowed: { input: PutObjectCommandInput; role: { logicalId: string; arn: string } };
    beforeEach(async () => {
      allowed = await ingestPut('patient_visits');
    });
    const decideWith = (change: Partial<PutObjectCommandInput>, extra: Record<string, ContextValue> = {}) =>
      decide(putRequest({ ...allowed.input, ...change }, { AWS: allowed.role.arn }, extra), allowed.role.logicalId);

    test('a write naming another key is denied', () => {
      const other = `arn:aws:kms:eu-west-1:${FAKE_ACCOUNT}:key/SomeOtherKey`;
      expect(decideWith({ SSEKMSKeyId: other })).toMatchObject({ decision: 'ExplicitDeny', denies: ['DenyPutWithOtherKey'] });
      // A key id or alias instead of the key ARN is another string: denied as well.
      expect(decideWith({ SSEKMSKeyId: 'alias/quarantine' }).decision).toBe('ExplicitDeny');
    });

    test('a write asking for SSE-S3 or DSSE-KMS is denied', () => {
      expect(decideWith({ ServerSideEncryption: 'AES256', SSEKMSKeyId: undefined })).toMatchObject({ decision: 'ExplicitDeny', denies: ['DenyPutWithoutKms'] });
      expect(decideWith({ ServerSideEncryption: 'aws:kms:dsse' }).denies).toContain('DenyPutWithoutKms');
    });

    test('a write with a customer-provided key (SSE-C) is denied', () => {
      expect(decideWith({ ServerSideEncryption: undefined, SSEKMSKeyId: undefined, SSECustomerAlgorithm: 'AES256' }).denies).toEqual(['DenyPutWithCustomerKey']);
    });

    test('a write without TLS, or below TLS 1.2, is denied', () => {
      expect(decideWith({}, { 'aws:SecureTransport': false }).decision).toBe('ExplicitDeny');
      expect(decideWith({}, { 's3:TlsVersion': 1.1 }).decision).toBe('ExplicitDeny');
      expect(decideWith({}).decision).toBe('Allow');
    });

    test('a write outside the function\'s dataset prefix is not granted', () => {
      expect(decideWith({ Key: 'dataset=customer_orders/dt=2024-05-01/run-1-1.jsonl.gz' }).decision).toBe('ImplicitDeny');
    });
  });
});
