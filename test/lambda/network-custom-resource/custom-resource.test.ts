/**
 * The network custom resources against a stateful fake of EC2 at the client boundary (EC2 has no local equivalent):
 * the fake implements the narrow Ec2Api the modules take, and one test drives the SDK's real EC2 client, mocked at
 * its send() with aws-sdk-client-mock, through the same code. The CloudFormation answer goes to a real local HTTPS
 * server.
 */
import { DescribeManagedPrefixListsCommand, EC2, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { closeDefaultSecurityGroup } from '../../../lambda/network-custom-resource/default-security-group';
import type { Ec2Api, IpPermission, RevokeOutput } from '../../../lambda/network-custom-resource/ec2-api';
import { createOnEvent, LOOK_UP_S3_PREFIX_LIST, RESTRICT_DEFAULT_SECURITY_GROUP } from '../../../lambda/network-custom-resource/custom-resource';
import { lookUpS3PrefixListId } from '../../../lambda/network-custom-resource/prefix-list';
import { withCloudFormationResponse } from '../../../lambda/shared/cfn-response';
import { customResourceEvent, ResponseServer, startResponseServer } from '../../helpers/cfn-response-server';

const ACCOUNT = '111122223333';
const GROUP = 'sg-0123456789abcdef0';

interface FakePrefixList { PrefixListId: string; PrefixListName: string; OwnerId: string }

/** EC2 as far as these resources see it: managed prefix lists, and the rules of security groups (as JSON keys). */
class FakeEc2 implements Ec2Api {
  public readonly calls: string[] = [];
  public readonly ingress = new Map<string, Set<string>>();
  public readonly egress = new Map<string, Set<string>>();
  /** How a revoke of a missing rule is answered: the classic error, or the newer "unknown permission" result. */
  public missingRule: 'error' | 'unknown' = 'error';

  constructor(public prefixLists: FakePrefixList[] = []) {}

  /** A default group as EC2 creates it (IPv4 only, like a VPC without an IPv6 block). */
  public withDefaultGroup(groupId: string): this {
    this.ingress.set(groupId, new Set([key({ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId, UserId: ACCOUNT }] })]));
    this.egress.set(groupId, new Set([key({ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] })]));
    return this;
  }

  async describeManagedPrefixLists(input: { Filters: Array<{ Name: string; Values: string[] }> }) {
    this.calls.push('DescribeManagedPrefixLists');
    const names = input.Filters.find((f) => f.Name === 'prefix-list-name')?.Values ?? [];
    return { PrefixLists: this.prefixLists.filter((l) => names.includes(l.PrefixListName)) };
  }

  async revokeSecurityGroupIngress(input: { GroupId: string; IpPermissions: IpPermission[] }) {
    this.calls.push('RevokeSecurityGroupIngress');
    return this.revoke(this.ingress, input);
  }

  async revokeSecurityGroupEgress(input: { GroupId: string; IpPermissions: IpPermission[] }) {
    this.calls.push('RevokeSecurityGroupEgress');
    return this.revoke(this.egress, input);
  }

  private revoke(rules: Map<string, Set<string>>, input: { GroupId: string; IpPermissions: IpPermission[] }): RevokeOutput {
    const group = rules.get(input.GroupId);
    if (!group) throw Object.assign(new Error(`The security group '${input.GroupId}' does not exist`), { name: 'InvalidGroup.NotFound' });
    const missing = input.IpPermissions.filter((p) => !group.has(key(p)));
    if (missing.length > 0 && this.missingRule === 'error') {
      throw Object.assign(new Error('The specified rule does not exist in this security group.'), { name: 'InvalidPermission.NotFound' });
    }
    for (const p of input.IpPermissions) group.delete(key(p));
    return missing.length > 0 ? { Return: false, UnknownIpPermissions: missing } : { Return: true };
  }
}

function key(p: IpPermission): string {
  return JSON.stringify(p);
}

const event = (type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>, responseUrl = 'https://unused.invalid/') =>
  customResourceEvent(type, properties, responseUrl);

const S3_EU_WEST_1: FakePrefixList = { PrefixListId: 'pl-6da54004', PrefixListName: 'com.amazonaws.eu-west-1.s3', OwnerId: 'AWS' };

describe('S3 prefix-list lookup (EC2 faked at the client boundary)', () => {
  test('returns the id of the AWS-managed S3 list of the region', async () => {
    const ec2 = new FakeEc2([S3_EU_WEST_1, { PrefixListId: 'pl-66a5400f', PrefixListName: 'com.amazonaws.eu-west-1.dynamodb', OwnerId: 'AWS' }]);
    await expect(lookUpS3PrefixListId(ec2, 'eu-west-1')).resolves.toBe('pl-6da54004');
  });

  test('the China partition name is found too', async () => {
    const ec2 = new FakeEc2([{ PrefixListId: 'pl-0a1b2c3d', PrefixListName: 'cn.com.amazonaws.cn-north-1.s3', OwnerId: 'AWS' }]);
    await expect(lookUpS3PrefixListId(ec2, 'cn-north-1')).resolves.toBe('pl-0a1b2c3d');
  });

  test('a customer-managed look-alike or a missing list fails the lookup instead of opening a rule to it', async () => {
    const lookAlike = new FakeEc2([{ PrefixListId: 'pl-0badbadbad', PrefixListName: 'com.amazonaws.eu-west-1.s3', OwnerId: '444455556666' }]);
    await expect(lookUpS3PrefixListId(lookAlike, 'eu-west-1')).rejects.toThrow(/expected one AWS-managed prefix list .* found 0/);
    await expect(lookUpS3PrefixListId(new FakeEc2([]), 'eu-west-1')).rejects.toThrow(/found 0/);
    const bad = new FakeEc2([S3_EU_WEST_1]);
    await expect(lookUpS3PrefixListId(bad, 'eu-west-1", "x')).rejects.toThrow(/is not an AWS region name/);
    expect(bad.calls).toEqual([]);
  });

  test('the SDK\'s real EC2 client (the one the handler builds, mocked at send) is asked by name and answered', async () => {
    const ec2 = mockClient(EC2Client);
    try {
      ec2.on(DescribeManagedPrefixListsCommand).resolves({ PrefixLists: [S3_EU_WEST_1] });
      await expect(lookUpS3PrefixListId(new EC2({ region: 'eu-west-1' }), 'eu-west-1')).resolves.toBe('pl-6da54004');
      expect(ec2.commandCalls(DescribeManagedPrefixListsCommand).map((c) => c.args[0].input)).toEqual([
        { Filters: [{ Name: 'prefix-list-name', Values: ['com.amazonaws.eu-west-1.s3', 'cn.com.amazonaws.eu-west-1.s3'] }] },
      ]);
    } finally {
      ec2.restore();
    }
  });
});

describe('closing the default security group (EC2 faked at the client boundary)', () => {
  test('revokes the self-referencing ingress and the allow-all egress, leaving no rule', async () => {
    const ec2 = new FakeEc2().withDefaultGroup(GROUP);
    await closeDefaultSecurityGroup(ec2, GROUP, ACCOUNT);
    expect([...ec2.ingress.get(GROUP)!]).toEqual([]);
    expect([...ec2.egress.get(GROUP)!]).toEqual([]);
  });

  test('is idempotent: rules already gone are no error, whichever way EC2 reports them', async () => {
    for (const missingRule of ['error', 'unknown'] as const) {
      const ec2 = new FakeEc2().withDefaultGroup(GROUP);
      ec2.missingRule = missingRule;
      await closeDefaultSecurityGroup(ec2, GROUP, ACCOUNT);
      await expect(closeDefaultSecurityGroup(ec2, GROUP, ACCOUNT)).resolves.toBeUndefined();
    }
  });

  test('other EC2 errors and malformed ids fail', async () => {
    await expect(closeDefaultSecurityGroup(new FakeEc2(), GROUP, ACCOUNT)).rejects.toThrow(/does not exist/);
    const ec2 = new FakeEc2().withDefaultGroup(GROUP);
    await expect(closeDefaultSecurityGroup(ec2, 'sg-nope', ACCOUNT)).rejects.toThrow(/is not a security group id/);
    await expect(closeDefaultSecurityGroup(ec2, GROUP, '12')).rejects.toThrow(/is not an AWS account id/);
    expect(ec2.calls).toEqual([]);
  });
});

describe('the custom resource (EC2 faked at the client boundary)', () => {
  test('dispatches on Action; Delete changes nothing and keeps the physical id', async () => {
    const ec2 = new FakeEc2([S3_EU_WEST_1]).withDefaultGroup(GROUP);
    const onEvent = createOnEvent(ec2);
    await expect(onEvent(event('Create', { Action: LOOK_UP_S3_PREFIX_LIST, Region: 'eu-west-1' })))
      .resolves.toEqual({ PhysicalResourceId: 's3-prefix-list:eu-west-1', Data: { PrefixListId: 'pl-6da54004' } });
    await expect(onEvent(event('Update', { Action: RESTRICT_DEFAULT_SECURITY_GROUP, DefaultSecurityGroupId: GROUP, Account: ACCOUNT })))
      .resolves.toEqual({ PhysicalResourceId: `default-security-group-closed:${GROUP}` });
    const before = ec2.calls.length;
    await expect(onEvent(event('Delete', { Action: RESTRICT_DEFAULT_SECURITY_GROUP, DefaultSecurityGroupId: GROUP, Account: ACCOUNT })))
      .resolves.toEqual({ PhysicalResourceId: 'thing-1' });
    await expect(onEvent(event('Delete', { Action: LOOK_UP_S3_PREFIX_LIST, Region: 'eu-west-1' }))).resolves.toEqual({ PhysicalResourceId: 'thing-1' });
    expect(ec2.calls.length).toBe(before);
    await expect(onEvent(event('Create', { Action: 'DeleteEverything' }))).rejects.toThrow(/Action must be/);
  });

  describe('answering CloudFormation through the pre-signed URL (a local HTTPS server)', () => {
    let server: ResponseServer;
    beforeAll(async () => { server = await startResponseServer('/cloudformation-custom-resource-response-euwest1?X-Amz-Signature=abc'); });
    afterAll(() => server.close());

    test('SUCCESS carries PrefixListId; a failed lookup is reported as FAILED, never left to time out', async () => {
      const handler = withCloudFormationResponse(createOnEvent(new FakeEc2([S3_EU_WEST_1])), { ca: server.cert.cert, log: () => undefined });
      await handler(event('Create', { Action: LOOK_UP_S3_PREFIX_LIST, Region: 'eu-west-1' }, server.url));
      await handler(event('Create', { Action: LOOK_UP_S3_PREFIX_LIST, Region: 'us-east-2' }, server.url));
      expect(server.received[0]!.body).toMatchObject({ Status: 'SUCCESS', Data: { PrefixListId: 'pl-6da54004' } });
      expect(server.received[1]!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/com\.amazonaws\.us-east-2\.s3/) });
    });
  });
});
