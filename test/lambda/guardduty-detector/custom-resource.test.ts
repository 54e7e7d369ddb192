/**
 * The GuardDuty custom resources (detector adoption, malware protection plan) run their real logic against the SDK's
 * real GuardDuty client, faked at its send() with aws-sdk-client-mock: GuardDuty has no local equivalent. Answers to
 * CloudFormation go to a real local HTTPS server, so "every response is sent" is observed, not assumed.
 */
import {
  BadRequestException,
  CreateDetectorCommand,
  CreateMalwareProtectionPlanCommand,
  DeleteDetectorCommand,
  DeleteMalwareProtectionPlanCommand,
  GetDetectorCommand,
  GetMalwareProtectionPlanCommand,
  GuardDuty,
  GuardDutyClient,
  InternalServerErrorException,
  ListDetectorsCommand,
  ResourceNotFoundException,
  UpdateDetectorCommand,
  UpdateMalwareProtectionPlanCommand,
} from '@aws-sdk/client-guardduty';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createOnEvent, DETECTOR, MALWARE_PROTECTION_PLAN } from '../../../lambda/guardduty-detector/custom-resource';
import { PLAN_RETRY_POLICY, PlanOptions } from '../../../lambda/guardduty-detector/malware-plan';
import { Ownership, ownershipFromEnvironment } from '../../../lambda/guardduty-detector/ownership';
import { guardDutyApi } from '../../../lambda/guardduty-detector/sdk';
import { withCloudFormationResponse } from '../../../lambda/shared/cfn-response';
import { RetryPolicy } from '../../../lambda/shared/retry';
import { customResourceEvent, ResponseServer, startResponseServer } from '../../helpers/cfn-response-server';

const EXISTING = '12abc34d567e8fa901bc2d34e56789f0';
const CREATED = 'aa11bb22cc33dd44ee55ff6677889900';
const FEATURES = [{ Name: 'S3_DATA_EVENTS', Status: 'ENABLED' }, { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' }];
const DETECTOR_PROPS = { Action: DETECTOR, FindingPublishingFrequency: 'SIX_HOURS', Features: JSON.stringify(FEATURES) };
const ROLE_ARN = 'arn:aws:iam::111122223333:role/ThreatsMalwareProtectionRole';
const PLAN_PROPS = { Action: MALWARE_PROTECTION_PLAN, RoleArn: ROLE_ARN, BucketName: 'quarantine-bucket-1', Tagging: 'ENABLED' };
const STACK_ID = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/pipeline-dev/0a1b2c3d-1111-2222-3333-444455556666';
const OTHER_STACK_ID = 'arn:aws:cloudformation:eu-west-1:111122223333:stack/other-stack/9f8e7d6c-1111-2222-3333-444455556666';
const OWNED = { 'secure-data-pipeline:owner': STACK_ID };
const NOW = Date.parse('2026-12-02T12:00:00.000Z');
const hoursAgo = (h: number) => new Date(NOW - h * 3_600_000).toISOString();

/** What the function's environment gives it (index.ts reads process.env the same way), with a fixed clock and recorded log. */
let logged: string[] = [];
function ownership(env: Record<string, string | undefined> = {}): Ownership {
  return ownershipFromEnvironment({ OWNER_STACK_ID: STACK_ID, ...env }, () => NOW, (m) => { logged.push(m); });
}

const guardDuty = mockClient(GuardDutyClient);
let server: ResponseServer;
beforeAll(async () => { server = await startResponseServer(); });
afterAll(async () => { guardDuty.restore(); await server.close(); });
beforeEach(() => { guardDuty.reset(); server.received.length = 0; logged = []; });

/** Sleeps recorded, not waited: the retry schedule is observed without slowing the suite. */
function recordedSleeps(): { waits: number[]; options: PlanOptions } {
  const waits: number[] = [];
  return { waits, options: { sleep: async (ms) => { waits.push(ms); }, random: () => 0.5 } };
}

async function invoke(event: CloudFormationCustomResourceEvent, options: PlanOptions = {}, remainingMs = 600_000,
  owner: Ownership = ownership()): Promise<Record<string, unknown>> {
  const handler = withCloudFormationResponse(createOnEvent(guardDutyApi(new GuardDuty({ region: 'eu-west-1' })), owner, options), {
    ca: server.cert.cert, log: () => undefined,
  });
  await handler(event, { getRemainingTimeInMillis: () => remainingMs, logStreamName: 'stream' });
  expect(server.received).toHaveLength(1);
  return server.received[0]!.body;
}

function withPhysicalId(event: CloudFormationCustomResourceEvent, id: string, old: Record<string, unknown> = {}): CloudFormationCustomResourceEvent {
  return { ...event, PhysicalResourceId: id, OldResourceProperties: { ServiceToken: 'x', ...old } } as CloudFormationCustomResourceEvent;
}

const invalidInput = () => new BadRequestException({
  $metadata: {}, message: 'The request was rejected because provided IAM role does not have the required permissions to validate S3 bucket ownership.',
  Message: 'The request was rejected because provided IAM role does not have the required permissions to validate S3 bucket ownership.',
  Type: 'InvalidInputException',
});

describe('detector (GuardDuty faked with aws-sdk-client-mock: no local GuardDuty exists)', () => {
  test('fresh account: creates an enabled detector with the requested features, idempotent per request, and reports it as created', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    guardDuty.on(CreateDetectorCommand).resolves({ DetectorId: CREATED });
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `created:${CREATED}`, Data: { DetectorId: CREATED, Adopted: 'false' } });
    expect(guardDuty.commandCalls(CreateDetectorCommand).map((c) => c.args[0].input)).toEqual([
      { Enable: true, ClientToken: 'req-1', FindingPublishingFrequency: 'SIX_HOURS', Features: FEATURES, Tags: OWNED },
    ]);
  });

  test('create without OWNER_STACK_ID configured: FAILED naming the variable, nothing listed or created', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    guardDuty.on(CreateDetectorCommand).resolves({ DetectorId: CREATED });
    for (const env of [{ OWNER_STACK_ID: undefined }, { OWNER_STACK_ID: 'pipeline-dev' }]) {
      server.received.length = 0;
      const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url), {}, 600_000, ownership(env));
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toContain('OWNER_STACK_ID');
    }
    expect(guardDuty.calls()).toHaveLength(0);
  });

  test('existing detector: adopted, nothing created or changed', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [EXISTING] });
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', ServiceRole: 'x', CreatedAt: 'y' } as never);
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `adopted:${EXISTING}`, Data: { DetectorId: EXISTING, Adopted: 'true' } });
    expect(guardDuty.commandCalls(CreateDetectorCommand)).toHaveLength(0);
    expect(guardDuty.commandCalls(UpdateDetectorCommand)).toHaveLength(0);
  });

  test('the existing detector is found on a later page of ListDetectors', async () => {
    guardDuty.on(ListDetectorsCommand).resolvesOnce({ DetectorIds: [], NextToken: 't' }).resolvesOnce({ DetectorIds: [EXISTING] });
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED' } as never);
    expect(await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `adopted:${EXISTING}` });
    expect(guardDuty.commandCalls(ListDetectorsCommand).map((c) => c.args[0].input)).toEqual([{}, { NextToken: 't' }]);
  });

  test('a suspended existing detector is refused, naming the command that enables it', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [EXISTING] });
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'DISABLED' } as never);
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain(`aws guardduty update-detector --detector-id ${EXISTING} --enable`);
    expect(guardDuty.commandCalls(CreateDetectorCommand)).toHaveLength(0);
  });

  test('a detector created by someone else between list and create is adopted', async () => {
    guardDuty.on(ListDetectorsCommand).resolvesOnce({ DetectorIds: [] }).resolves({ DetectorIds: [EXISTING] });
    guardDuty.on(CreateDetectorCommand).rejects(new BadRequestException({ $metadata: {}, message: 'The request is rejected because a detector already exists for the current account.' }));
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED' } as never);
    expect(await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `adopted:${EXISTING}` });
  });

  test('API error: FAILED with the reason, and the answer is still sent', async () => {
    guardDuty.on(ListDetectorsCommand).rejects(new InternalServerErrorException({ $metadata: {}, message: 'GuardDuty is having a bad day' }));
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url));
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'failed-req-1' });
    expect(body.Reason).toContain('GuardDuty is having a bad day');
  });

  test('a hanging API call still gets an answer: FAILED at the deadline, never a silent timeout', async () => {
    // Never settles, like a call to an unreachable endpoint (the SDK's own timeouts are longer than any deadline here).
    let release: () => void = () => undefined;
    guardDuty.on(ListDetectorsCommand).callsFake(() => new Promise((resolve) => { release = () => resolve({ DetectorIds: [] }); }));
    // 15.05 s left, 15 s kept to answer: the work gets 50 ms.
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url), {}, 15_050);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/did not finish within/);
    release();
  });

  test('a detector whose CreateDetector returns after the deadline (answered FAILED) is deleted again, not left behind', async () => {
    guardDuty.on(ListDetectorsCommand).resolves({ DetectorIds: [] });
    guardDuty.on(CreateDetectorCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({ DetectorId: CREATED }), 300)));
    guardDuty.on(DeleteDetectorCommand).resolves({});
    const body = await invoke(customResourceEvent('Create', DETECTOR_PROPS, server.url), {}, 15_050);
    expect(body.Status).toBe('FAILED');
    for (let i = 0; i < 50 && guardDuty.commandCalls(DeleteDetectorCommand).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(guardDuty.commandCalls(DeleteDetectorCommand).map((c) => c.args[0].input)).toEqual([{ DetectorId: CREATED }]);
  });

  test('delete of an adopted detector: no DeleteDetector', async () => {
    const body = await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `adopted:${EXISTING}`));
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `adopted:${EXISTING}` });
    expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
  });

  test('delete of a created detector (owned, 1 h old: the rollback of its creation): DeleteDetector on exactly it; already gone is no error', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(1), Tags: OWNED } as never);
    guardDuty.on(DeleteDetectorCommand).resolvesOnce({}).rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: 'no such detector' }));
    for (let i = 0; i < 2; i++) {
      server.received.length = 0;
      expect(await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`))).toMatchObject({ Status: 'SUCCESS' });
    }
    expect(guardDuty.commandCalls(DeleteDetectorCommand).map((c) => c.args[0].input)).toEqual([{ DetectorId: CREATED }, { DetectorId: CREATED }]);
  });

  test('forged delete of created:<id> naming a detector without our tag (an organisation detector): kept, logged, SUCCESS', async () => {
    for (const tags of [undefined, { 'secure-data-pipeline:owner': OTHER_STACK_ID }, { Owner: 'org' }]) {
      guardDuty.reset();
      guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(1), Tags: tags } as never);
      server.received.length = 0;
      const body = await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${EXISTING}`), {}, 600_000,
        ownership({ DELETE_DETECTOR_WITH_STACK: 'true' }));
      expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `created:${EXISTING}` });
      expect(guardDuty.commandCalls(GetDetectorCommand).map((c) => c.args[0].input)).toEqual([{ DetectorId: EXISTING }]);
      expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
    }
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatch(new RegExp(`detector ${EXISTING} kept: .*secure-data-pipeline:owner`));
  });

  test('delete without OWNER_STACK_ID configured: nothing is owned, nothing deleted, SUCCESS', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(1), Tags: OWNED } as never);
    const body = await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`), {}, 600_000,
      ownership({ OWNER_STACK_ID: '' }));
    expect(body.Status).toBe('SUCCESS');
    expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
  });

  test('owned detector created 7 h ago, no destroy opt-in: kept (not a rollback), logged, SUCCESS', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(7), Tags: OWNED } as never);
    for (const flag of [undefined, 'false', 'TRUE ']) {
      server.received.length = 0;
      const body = await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`), {}, 600_000,
        ownership({ DELETE_DETECTOR_WITH_STACK: flag }));
      expect(body.Status).toBe('SUCCESS');
    }
    expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
    expect(logged[0]).toMatch(new RegExp(`detector ${CREATED} kept: .*more than 6 h ago`));
  });

  test('owned detector without a readable CreatedAt, no opt-in: kept', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: 'yesterday-ish', Tags: OWNED } as never);
    expect(await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`))).toMatchObject({ Status: 'SUCCESS' });
    expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
  });

  test('owned detector created 7 h ago, DELETE_DETECTOR_WITH_STACK=true (destroy opt-in): deleted', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(7), Tags: OWNED } as never);
    guardDuty.on(DeleteDetectorCommand).resolves({});
    const body = await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`), {}, 600_000,
      ownership({ DELETE_DETECTOR_WITH_STACK: 'true' }));
    expect(body.Status).toBe('SUCCESS');
    expect(guardDuty.commandCalls(DeleteDetectorCommand).map((c) => c.args[0].input)).toEqual([{ DetectorId: CREATED }]);
  });

  test('delete of a created detector GuardDuty no longer has: SUCCESS, no DeleteDetector', async () => {
    guardDuty.on(GetDetectorCommand).rejects(new ResourceNotFoundException({ $metadata: {}, message: 'no such detector' }));
    expect(await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), `created:${CREATED}`))).toMatchObject({ Status: 'SUCCESS' });
    expect(guardDuty.commandCalls(DeleteDetectorCommand)).toHaveLength(0);
  });

  test('delete after a failed create (the rollback) touches nothing', async () => {
    expect(await invoke(withPhysicalId(customResourceEvent('Delete', DETECTOR_PROPS, server.url), 'failed-req-0'))).toMatchObject({ Status: 'SUCCESS' });
    expect(guardDuty.calls()).toHaveLength(0);
  });

  test('update changes the features of a created detector only', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(30), Tags: OWNED } as never);
    guardDuty.on(UpdateDetectorCommand).resolves({});
    const props = { ...DETECTOR_PROPS, FindingPublishingFrequency: 'FIFTEEN_MINUTES' };
    expect(await invoke(withPhysicalId(customResourceEvent('Update', props, server.url), `created:${CREATED}`)))
      .toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `created:${CREATED}`, Data: { DetectorId: CREATED } });
    expect(guardDuty.commandCalls(UpdateDetectorCommand).map((c) => c.args[0].input)).toEqual([
      { DetectorId: CREATED, Enable: true, FindingPublishingFrequency: 'FIFTEEN_MINUTES', Features: FEATURES },
    ]);
    server.received.length = 0;
    expect(await invoke(withPhysicalId(customResourceEvent('Update', props, server.url), `adopted:${EXISTING}`)))
      .toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `adopted:${EXISTING}`, Data: { DetectorId: EXISTING } });
    expect(guardDuty.commandCalls(UpdateDetectorCommand)).toHaveLength(1);
  });

  test('forged update of created:<id> naming a foreign detector: FAILED with the reason, no UpdateDetector', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', CreatedAt: hoursAgo(1), Tags: { 'secure-data-pipeline:owner': OTHER_STACK_ID } } as never);
    guardDuty.on(UpdateDetectorCommand).resolves({});
    const body = await invoke(withPhysicalId(customResourceEvent('Update', DETECTOR_PROPS, server.url), `created:${EXISTING}`));
    expect(body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `created:${EXISTING}` });
    expect(body.Reason).toMatch(new RegExp(`detector ${EXISTING} does not carry the tag secure-data-pipeline:owner`));
    // The fix for a detector this stack did create before owner tags existed: the tag, on exactly this detector's ARN.
    expect(body.Reason).toContain(`aws guardduty tag-resource --resource-arn arn:aws:guardduty:eu-west-1:111122223333:detector/${EXISTING} --tags 'secure-data-pipeline:owner=${STACK_ID}'`);
    expect(guardDuty.commandCalls(UpdateDetectorCommand)).toHaveLength(0);
  });

  test('update never disables: features (and additional configurations) not ENABLED are left out of UpdateDetector', async () => {
    guardDuty.on(GetDetectorCommand).resolves({ Status: 'ENABLED', Tags: OWNED } as never);
    guardDuty.on(UpdateDetectorCommand).resolves({});
    const features = [
      { Name: 'S3_DATA_EVENTS', Status: 'DISABLED' },
      { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
      { Name: 'RUNTIME_MONITORING', Status: 'ENABLED', AdditionalConfiguration: [{ Name: 'EKS_ADDON_MANAGEMENT', Status: 'DISABLED' }, { Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' }] },
      { Name: 'LAMBDA_NETWORK_LOGS', Status: 'disabled' },
    ];
    const props = { ...DETECTOR_PROPS, Features: JSON.stringify(features) };
    expect(await invoke(withPhysicalId(customResourceEvent('Update', props, server.url), `created:${CREATED}`))).toMatchObject({ Status: 'SUCCESS' });
    const sent = guardDuty.commandCalls(UpdateDetectorCommand)[0]!.args[0].input;
    expect(sent.Features).toEqual([
      { Name: 'RDS_LOGIN_EVENTS', Status: 'ENABLED' },
      { Name: 'RUNTIME_MONITORING', Status: 'ENABLED', AdditionalConfiguration: [{ Name: 'EC2_AGENT_MANAGEMENT', Status: 'ENABLED' }] },
    ]);
    expect(JSON.stringify(sent)).not.toMatch(/DISABLED/i);
  });

  test('bad properties fail before any call', async () => {
    const body = await invoke(customResourceEvent('Create', { ...DETECTOR_PROPS, FindingPublishingFrequency: 'DAILY' }, server.url));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain('FindingPublishingFrequency');
    expect(guardDuty.calls()).toHaveLength(0);
  });
});

describe('malware protection plan (GuardDuty faked with aws-sdk-client-mock: no local GuardDuty exists)', () => {
  test('two InvalidInputException (role not propagated yet), then success: SUCCESS after two backoff waits', async () => {
    guardDuty.on(CreateMalwareProtectionPlanCommand).rejectsOnce(invalidInput()).rejectsOnce(invalidInput()).resolves({ MalwareProtectionPlanId: 'plan123' });
    const { waits, options } = recordedSleeps();
    const body = await invoke(customResourceEvent('Create', PLAN_PROPS, server.url), options);
    expect(body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'plan123', Data: { MalwareProtectionPlanId: 'plan123' } });
    expect(guardDuty.commandCalls(CreateMalwareProtectionPlanCommand)).toHaveLength(3);
    expect(guardDuty.commandCalls(CreateMalwareProtectionPlanCommand)[0]!.args[0].input).toEqual({
      ClientToken: 'req-1', Role: ROLE_ARN, ProtectedResource: { S3Bucket: { BucketName: 'quarantine-bucket-1' } }, Actions: { Tagging: { Status: 'ENABLED' } },
      Tags: OWNED,
    });
    expect(waits).toEqual([PLAN_RETRY_POLICY.baseDelayMs / 2, PLAN_RETRY_POLICY.baseDelayMs]);
  });

  test('always InvalidInputException: FAILED with the reason once the retry budget is spent, before the function times out', async () => {
    guardDuty.on(CreateMalwareProtectionPlanCommand).rejects(invalidInput());
    const { waits, options } = recordedSleeps();
    const body = await invoke(customResourceEvent('Create', PLAN_PROPS, server.url), options);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/CreateMalwareProtectionPlan for quarantine-bucket-1: gave up after \d+ attempts.*validate S3 bucket ownership/);
    const waited = waits.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(PLAN_RETRY_POLICY.maxTotalWaitMs);
    // The function runs for ten minutes (GuardDutyCustomResources): the waits leave minutes for the calls and the answer.
    expect(PLAN_RETRY_POLICY.maxTotalWaitMs).toBeLessThanOrEqual(10 * 60_000 - 3 * 60_000);
  });

  test('a deadline during the backoff ends the retries at once with FAILED', async () => {
    guardDuty.on(CreateMalwareProtectionPlanCommand).rejects(invalidInput());
    const slow: RetryPolicy = { ...PLAN_RETRY_POLICY, baseDelayMs: 60_000 };
    const started = Date.now();
    const body = await invoke(customResourceEvent('Create', PLAN_PROPS, server.url), { policy: slow }, 15_100);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/did not finish within/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('other errors are not retried', async () => {
    guardDuty.on(CreateMalwareProtectionPlanCommand).rejects(new BadRequestException({ $metadata: {}, message: 'The bucket is already protected by a plan', Type: 'ConflictException' }));
    const { waits, options } = recordedSleeps();
    const body = await invoke(customResourceEvent('Create', PLAN_PROPS, server.url), options);
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain('already protected');
    expect(waits).toEqual([]);
    expect(guardDuty.commandCalls(CreateMalwareProtectionPlanCommand)).toHaveLength(1);
  });

  test('create without OWNER_STACK_ID configured: FAILED, no plan created', async () => {
    guardDuty.on(CreateMalwareProtectionPlanCommand).resolves({ MalwareProtectionPlanId: 'plan123' });
    const body = await invoke(customResourceEvent('Create', PLAN_PROPS, server.url), {}, 600_000, ownership({ OWNER_STACK_ID: undefined }));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toContain('OWNER_STACK_ID is not set');
    expect(guardDuty.calls()).toHaveLength(0);
  });

  test('update of the same bucket updates the plan in place (retrying a new role); another bucket creates a new plan', async () => {
    guardDuty.on(GetMalwareProtectionPlanCommand).resolves({ Tags: OWNED });
    guardDuty.on(UpdateMalwareProtectionPlanCommand).rejectsOnce(invalidInput()).resolves({});
    guardDuty.on(CreateMalwareProtectionPlanCommand).resolves({ MalwareProtectionPlanId: 'plan456' });
    const { options } = recordedSleeps();
    expect(await invoke(withPhysicalId(customResourceEvent('Update', PLAN_PROPS, server.url), 'plan123', { BucketName: 'quarantine-bucket-1' }), options))
      .toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'plan123' });
    expect(guardDuty.commandCalls(UpdateMalwareProtectionPlanCommand)).toHaveLength(2);
    server.received.length = 0;
    expect(await invoke(withPhysicalId(customResourceEvent('Update', PLAN_PROPS, server.url), 'plan123', { BucketName: 'old-bucket' }), options))
      .toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'plan456' });
  });

  test('delete removes an owned plan; a plan already gone or a failed create is no error', async () => {
    guardDuty.on(GetMalwareProtectionPlanCommand).resolves({ Tags: OWNED });
    guardDuty.on(DeleteMalwareProtectionPlanCommand).resolvesOnce({}).rejectsOnce(new ResourceNotFoundException({ $metadata: {}, message: 'gone' }));
    for (const id of ['plan123', 'plan123', 'failed-req-0']) {
      server.received.length = 0;
      expect(await invoke(withPhysicalId(customResourceEvent('Delete', PLAN_PROPS, server.url), id))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: id });
    }
    expect(guardDuty.commandCalls(DeleteMalwareProtectionPlanCommand).map((c) => c.args[0].input)).toEqual([
      { MalwareProtectionPlanId: 'plan123' }, { MalwareProtectionPlanId: 'plan123' },
    ]);
  });

  test('delete of a plan GuardDuty no longer has: SUCCESS, no DeleteMalwareProtectionPlan', async () => {
    guardDuty.on(GetMalwareProtectionPlanCommand).rejects(new ResourceNotFoundException({ $metadata: {}, message: 'gone' }));
    expect(await invoke(withPhysicalId(customResourceEvent('Delete', PLAN_PROPS, server.url), 'plan123'))).toMatchObject({ Status: 'SUCCESS' });
    expect(guardDuty.commandCalls(DeleteMalwareProtectionPlanCommand)).toHaveLength(0);
  });

  test('forged delete of a foreign plan: not deleted, logged, SUCCESS', async () => {
    guardDuty.on(GetMalwareProtectionPlanCommand).resolves({ Tags: { 'secure-data-pipeline:owner': OTHER_STACK_ID } });
    guardDuty.on(DeleteMalwareProtectionPlanCommand).resolves({});
    expect(await invoke(withPhysicalId(customResourceEvent('Delete', PLAN_PROPS, server.url), 'foreignplan1'))).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'foreignplan1' });
    expect(guardDuty.commandCalls(GetMalwareProtectionPlanCommand).map((c) => c.args[0].input)).toEqual([{ MalwareProtectionPlanId: 'foreignplan1' }]);
    expect(guardDuty.commandCalls(DeleteMalwareProtectionPlanCommand)).toHaveLength(0);
    expect(logged).toEqual([expect.stringMatching(/malware protection plan foreignplan1 kept: .*secure-data-pipeline:owner/)]);
  });

  test('forged update of a foreign (untagged) plan: FAILED, not updated', async () => {
    guardDuty.on(GetMalwareProtectionPlanCommand).resolves({});
    guardDuty.on(UpdateMalwareProtectionPlanCommand).resolves({});
    const body = await invoke(withPhysicalId(customResourceEvent('Update', PLAN_PROPS, server.url), 'foreignplan1', { BucketName: 'quarantine-bucket-1' }));
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/malware protection plan foreignplan1 does not carry the tag secure-data-pipeline:owner/);
    expect(guardDuty.commandCalls(UpdateMalwareProtectionPlanCommand)).toHaveLength(0);
  });
});

test('an unknown action is refused with FAILED', async () => {
  const body = await invoke(customResourceEvent('Create', { Action: 'Nope' }, server.url));
  expect(body).toMatchObject({ Status: 'FAILED' });
  expect(body.Reason).toContain('Action must be Detector or MalwareProtectionPlan');
});
