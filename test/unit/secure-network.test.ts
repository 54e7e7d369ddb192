import * as fc from 'fast-check';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { resolveProfile } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { addressesNeeded, smallestPrefixFor } from '../../lib/constructs/network/cidr-plan';
import { SecureNetwork, SecureNetworkProps, tierLayout } from '../../lib/constructs/network/secure-network';
import { testStack } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

const PREFIX_LIST = 'pl-6da54004';
const ACCOUNT = { Ref: 'AWS::AccountId' };

function network(props: Partial<SecureNetworkProps> = {}, withKeysAndProfile = false, stack: Stack = testStack()) {
  const keys = new DataKeys(stack, 'Keys');
  const net = new SecureNetwork(stack, 'Net', {
    logKey: keys.audit, flowLogRetentionDays: 90, ...(withKeysAndProfile ? { keys, profile: resolveProfile('dev') } : {}), ...props,
  });
  return { stack, keys, net, get template() { return Template.fromStack(stack); } };
}

function resourcesOf(template: Template, type: string): Array<[string, Json]> {
  return Object.entries(template.findResources(type));
}

describe('SecureNetwork', () => {
  const { net, stack, template } = network();
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

  test('isolated data and compute tiers only: no public subnet, internet gateway or NAT', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    const tags = Object.values(template.findResources('AWS::EC2::Subnet')).map((s) =>
      (s.Properties.Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === 'aws-cdk:subnet-name')!.Value);
    expect(tags.sort()).toEqual(['compute', 'compute', 'data', 'data']);
    template.resourcePropertiesCountIs('AWS::EC2::Route', {}, 0);
  });

  test('flow logs capture all traffic into a KMS-encrypted log group with retention', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      DeliverLogsPermissionArn: Match.anyValue(),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.anyValue(), RetentionInDays: 90 });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({
        Principal: { Service: 'vpc-flow-logs.amazonaws.com' },
        Condition: Match.objectLike({ StringEquals: Match.objectLike({ 'aws:SourceAccount': Match.anyValue() }) }),
      })] },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0); // grants go to a customer-managed policy, never inline
  });

  test('interface endpoints for every AWS API the stages call, with private DNS, the MSK API by its dual-stack service name', () => {
    const endpoints = resourcesOf(template, 'AWS::EC2::VPCEndpoint').map(([, e]) => e);
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const s of ['secretsmanager', 'kms', '.logs', 'sts', 'sqs', 'sns', 'lambda', 'xray', 'monitoring', '.ec2', '.guardduty', '.s3', '.dynamodb']) {
      expect(services.some((n) => n.includes(s))).toBe(true);
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', ['aws.api.', { Ref: 'AWS::Region' }, '.kafka-api']] },
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
    // com.amazonaws.<region>.kafka accepts no new connections.
    expect(services.some((n) => /"\.kafka"\]/.test(n))).toBe(false);
    const interfaces = endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface');
    expect(interfaces).toHaveLength(12);
    for (const e of interfaces) expect(e.Properties.PrivateDnsEnabled).toBe(true);
  });

  test('the endpoint security group admits 443 from security groups given access only, never from a CIDR', () => {
    const endpointSg = id(net.endpointSecurityGroup);
    const group = template.toJSON().Resources[endpointSg];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    const ingress = resourcesOf(template, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(endpointSg));
    expect(ingress).toEqual([expect.objectContaining({
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [id(net.awsApiClientSecurityGroup), 'GroupId'] },
    })]);
    expect(JSON.stringify(template.toJSON())).not.toContain('10.40.0.0/16"}'); // the VPC CIDR is in no rule
    expect(JSON.stringify(resourcesOf(template, 'AWS::EC2::SecurityGroupIngress'))).not.toMatch(/CidrIp/);
  });

  test('every endpoint has a policy: this account\'s principals, and its resources where the service\'s calls name one', () => {
    for (const [name, endpoint] of resourcesOf(template, 'AWS::EC2::VPCEndpoint')) {
      const statements: Json[] = endpoint.Properties.PolicyDocument?.Statement;
      expect({ name, statements }).toEqual({ name, statements: expect.any(Array) });
      const accountScoped = statements.filter((s) => s.Condition?.StringEquals?.['aws:PrincipalAccount']);
      // The only statements without the principal condition: CloudFormation's response PUT and Lambda's MSK pollers.
      for (const s of statements.filter((x) => !accountScoped.includes(x))) {
        expect(['CloudFormationCustomResourceResponses', 'LambdaEventSourcePollers']).toContain(s.Sid);
      }
      for (const s of accountScoped) expect(s.Condition.StringEquals['aws:PrincipalAccount']).toEqual(ACCOUNT);
      const service = JSON.stringify(endpoint.Properties.ServiceName);
      const main = statements.find((s) => s.Action === '*');
      if (/\.(xray|monitoring)"/.test(service)) {
        expect(main.Condition.StringEquals).toEqual({ 'aws:PrincipalAccount': ACCOUNT });
      } else if (!service.includes('.s3"')) {
        expect(main.Condition.StringEquals).toEqual({ 'aws:PrincipalAccount': ACCOUNT, 'aws:ResourceAccount': ACCOUNT });
      }
    }
  });

  test('Lambda\'s MSK pollers may assume the function role and invoke through the STS and Lambda endpoints, as AWS documents', () => {
    for (const [service, action] of [['.sts', 'sts:AssumeRole'], ['.lambda', 'lambda:InvokeFunction']] as const) {
      const endpoint = resourcesOf(template, 'AWS::EC2::VPCEndpoint').map(([, e]) => e)
        .find((e) => JSON.stringify(e.Properties.ServiceName).includes(`"${service}"`))!;
      expect(endpoint.Properties.PolicyDocument.Statement).toContainEqual({
        Sid: 'LambdaEventSourcePollers', Effect: 'Allow', Action: action, Principal: { Service: 'lambda.amazonaws.com' }, Resource: '*',
      });
    }
  });

  test('the S3 gateway endpoint admits the PUT of a custom-resource response to the regional response bucket without the account condition', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
      PolicyDocument: { Statement: [{
        Sid: 'CloudFormationCustomResourceResponses',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cloudformation-custom-resource-response-',
          { 'Fn::Join': ['', { 'Fn::Split': ['-', { Ref: 'AWS::Region' }] }] }, '/*']] },
      }] },
    });
  });

  test('buckets added later are admitted for principals of this account only', () => {
    const { stack: s, net: n } = network();
    n.allowBucketsThroughEndpoint(new Bucket(s, 'B'));
    Template.fromStack(s).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: { Statement: [
        Match.objectLike({ Sid: 'CloudFormationCustomResourceResponses' }),
        Match.objectLike({
          Condition: { StringEquals: { 'aws:PrincipalAccount': ACCOUNT } },
          Resource: [Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^B'), 'Arn'] }), Match.anyValue()],
        }),
      ] },
    });
  });

  test('every security group carries inline egress and a network-tier tag', () => {
    const groups = resourcesOf(template, 'AWS::EC2::SecurityGroup');
    expect(groups.length).toBeGreaterThanOrEqual(2);
    for (const [, g] of groups) {
      expect(g.Properties.SecurityGroupEgress).toEqual(expect.arrayContaining([expect.anything()]));
      expect(g.Properties.Tags).toContainEqual({ Key: 'secure-data-pipeline:network-tier', Value: expect.stringMatching(/^(endpoint|isolated)$/) });
    }
  });

  test('without keys, profile and a way to S3, no function exists, and isolated functions have no S3 group', () => {
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 0);
    expect(net.s3ClientSecurityGroup).toBeUndefined();
  });

  test('an egress tier with NAT exists only when asked for', () => {
    const { template: t, net: n } = network({ egress: true, natGateways: 1 });
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.resourceCountIs('AWS::EC2::InternetGateway', 1);
    t.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    expect(n.egressSubnets).toEqual({ subnetGroupName: 'egress' });
  });
});

describe('SecureNetwork deploy-time function (egress tier: S3 prefix list looked up)', () => {
  const { stack, net, template } = network({ egress: true }, true);
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
  const fnId = id(net.customResources!.function.function);
  const fn = template.toJSON().Resources[fnId];

  test('the default security group is closed by our hardened function, not by CDK\'s unhardened provider', () => {
    // The only Lambda function is the PipelineFunction: CDK's provider (outside the VPC, inline policy) is gone.
    expect(resourcesOf(template, 'AWS::Lambda::Function').map(([k]) => k)).toEqual([fnId]);
    expect(fn.Properties).toMatchObject({
      VpcConfig: { SubnetIds: expect.anything() }, TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: expect.anything() }, LoggingConfig: { LogGroup: expect.anything() },
    });
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('Custom::VpcRestrictDefaultSG', {
      ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Action: 'RestrictDefaultSecurityGroup',
      DefaultSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NetVpc'), 'DefaultSecurityGroup'] },
      Account: ACCOUNT,
    });
    // It may revoke rules of the default group only.
    const policy = resourcesOf(template, 'AWS::IAM::ManagedPolicy').map(([, p]) => p.Properties.PolicyDocument.Statement).flat()
      .find((s: Json) => JSON.stringify(s.Action).includes('RevokeSecurityGroup'));
    const vpcId = id(net.vpc);
    expect(policy.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':',
      { Ref: 'AWS::AccountId' }, ':security-group/', { 'Fn::GetAtt': [vpcId, 'DefaultSecurityGroup'] }]] });
  });

  test('it runs in the egress tier (tagged so), 443 out, and carries the API-client group but not the S3 group it looks up', () => {
    expect(JSON.stringify(fn.Properties.VpcConfig.SubnetIds)).toMatch(/egress/);
    const groups = fn.Properties.VpcConfig.SecurityGroupIds.map((g: Json) => g['Fn::GetAtt'][0]);
    expect(groups).toEqual([id(net.customResources!.function.securityGroup), id(net.awsApiClientSecurityGroup)]);
    const own = template.toJSON().Resources[groups[0]];
    expect(own.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })]);
    expect(own.Properties.Tags).toContainEqual({ Key: 'secure-data-pipeline:network-tier', Value: 'egress' });
  });

  test('the S3 prefix list is looked up at deploy time and the shared S3 group allows 443 to it only', () => {
    template.hasResourceProperties('Custom::S3PrefixList', {
      ServiceToken: { 'Fn::GetAtt': [fnId, 'Arn'] }, Action: 'LookUpS3PrefixList', Region: { Ref: 'AWS::Region' },
    });
    const s3Sg = id(net.s3ClientSecurityGroup);
    const egress = resourcesOf(template, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => r.Properties)
      .filter((p) => JSON.stringify(p.GroupId).includes(s3Sg));
    expect(egress).toEqual([expect.objectContaining({
      IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: { 'Fn::GetAtt': [expect.stringMatching(/^NetCustomResourcesS3PrefixList/), 'PrefixListId'] },
    })]);
    // DescribeManagedPrefixLists takes no resource: its one wildcard is acknowledged on this role only.
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ec2:DescribeManagedPrefixLists', Resource: '*' })]) },
    });
  });
});

describe('SecureNetwork with a given S3 prefix list', () => {
  const { stack, net, template } = network({ s3PrefixListId: PREFIX_LIST }, true);
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

  test('no lookup; the deploy-time function stays in the isolated tier with the S3 group', () => {
    template.resourceCountIs('Custom::S3PrefixList', 0);
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    const fn = template.toJSON().Resources[id(net.customResources!.function.function)];
    expect(JSON.stringify(fn.Properties.VpcConfig.SubnetIds)).toMatch(/compute/);
    expect(fn.Properties.VpcConfig.SecurityGroupIds).toHaveLength(3);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [id(net.s3ClientSecurityGroup), 'GroupId'] }, DestinationPrefixListId: PREFIX_LIST, FromPort: 443, ToPort: 443,
    });
    // Not allowed to describe anything: the role holds no wildcard.
    expect(JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('DescribeManagedPrefixLists');
  });
});

describe('SecureNetwork CIDR', () => {
  test('a /20 cannot hold 3 zones with an egress tier: refused before aws-cdk-lib fails, naming the smallest prefix that fits', () => {
    expect(() => network({ cidr: '10.0.0.0/20', azCount: 3, egress: true }))
      .toThrow(/cidr: \/20 cannot hold 3 zones of data \/24, compute \/22, egress \/22, nat \/28\. Fix: use \/19 or larger .*"10\.0\.0\.0\/19"/);
    expect(() => network({ cidr: '10.0.0.0/19', azCount: 3, egress: true })).not.toThrow();
    expect(() => network({ cidr: '10.40.1.0/16' })).toThrow(/"10\.40\.1\.0\/16" has host bits set\. Fix: use its network address, "10\.40\.0\.0\/16"/);
  });

  test('the computed space matches CDK\'s layout: the smallest prefix synthesizes with every subnet inside, one size smaller is refused', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 6 }), fc.boolean(), (azCount, egress) => {
      const smallest = smallestPrefixFor(tierLayout(egress), azCount);
      expect(2 ** (32 - smallest)).toBeGreaterThanOrEqual(addressesNeeded(tierLayout(egress), azCount));
      const { template: t } = network({ cidr: `10.0.0.0/${smallest}`, azCount, egress });
      const last = 2 ** (32 - smallest) - 1;
      for (const subnet of Object.values(t.findResources('AWS::EC2::Subnet'))) {
        const [a, b, c, d, mask] = (subnet.Properties.CidrBlock as string).split(/[./]/).map(Number) as [number, number, number, number, number];
        expect(a).toBe(10);
        expect((b * 65536 + c * 256 + d) + 2 ** (32 - mask) - 1).toBeLessThanOrEqual(last);
      }
      if (smallest < 28) expect(() => network({ cidr: `10.0.0.0/${smallest + 1}`, azCount, egress })).toThrow(new RegExp(`use /${smallest} or larger`));
    }), { numRuns: 10 });
  });
});

describe('SecureNetwork with an existing VPC', () => {
  function byo(vpcProps: ConstructorParameters<typeof Vpc>[2], props: Partial<SecureNetworkProps> = {}) {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = new Vpc(stack, 'Mine', { maxAzs: 2, restrictDefaultSecurityGroup: false, ...vpcProps });
    const make = () => new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc, ...props });
    return { stack, vpc, make };
  }
  const tiers = [
    { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED }, { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED },
    { name: 'egress', subnetType: SubnetType.PRIVATE_WITH_EGRESS }, { name: 'nat', subnetType: SubnetType.PUBLIC },
  ];

  test('used as is: no endpoints or firewall added; functions reach its endpoints and S3 through the two shared groups', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = new Vpc(stack, 'Mine', { maxAzs: 2, subnetConfiguration: tiers, restrictDefaultSecurityGroup: false });
    const endpoints = new SecurityGroup(stack, 'TheirEndpoints', { vpc });
    const n = new SecureNetwork(stack, 'Net', {
      logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc, existingEndpointSecurityGroup: endpoints, s3PrefixListId: PREFIX_LIST,
    });
    expect(n.vpc).toBe(vpc);
    expect(n.dataSubnets).toEqual({ subnetGroupName: 'data' });
    expect(n.egressSubnets).toEqual({ subnetGroupName: 'egress' });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    t.resourceCountIs('AWS::Route53Resolver::FirewallRuleGroupAssociation', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [stack.getLogicalId(endpoints.node.defaultChild as never), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(n.awsApiClientSecurityGroup!.node.defaultChild as never), 'GroupId'] },
      FromPort: 443,
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { DestinationPrefixListId: PREFIX_LIST, FromPort: 443 });
    // What to give a DnsFirewall of your own on this VPC.
    expect(n.dnsFirewallDomains.some((d) => d.startsWith('*.kafka.'))).toBe(true);
  });

  test('public data or compute subnets are refused, named, with the fix', () => {
    const { make } = byo({ subnetConfiguration: [{ name: 'data', subnetType: SubnetType.PUBLIC }, { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED }] });
    expect(make).toThrow(/dataSubnets: selects public subnets \(.+\), which route to an internet gateway\. Fix: select private subnets/);
    const typed = byo({ subnetConfiguration: tiers }, { dataSubnets: { subnetType: SubnetType.PUBLIC } });
    expect(typed.make).toThrow(/dataSubnets: selects public subnets\. Fix/);
  });

  test('public subnets of an imported VPC (fromVpcAttributes) are known and refused', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      publicSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000b'], publicSubnetNames: ['data'],
      isolatedSubnetIds: ['subnet-0000000000000000c', 'subnet-0000000000000000d'], isolatedSubnetNames: ['compute'],
    });
    expect(() => new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc }))
      .toThrow(/dataSubnets: selects public subnets \(subnet-0000000000000000a, subnet-0000000000000000b\)/);
  });

  test('missing groups or empty selections end in a ConfigurationError naming the prop, not an aws-cdk-lib error', () => {
    const { make } = byo({ subnetConfiguration: [{ name: 'app', subnetType: SubnetType.PRIVATE_ISOLATED }] });
    expect(make).toThrow(/2 problems[\s\S]*dataSubnets: selects nothing in the VPC[\s\S]*Fix: give the VPC a private subnet group named "data", or pass dataSubnets[\s\S]*computeSubnets: selects nothing/);
    const empty = byo({ subnetConfiguration: tiers }, { computeSubnets: { subnets: [] } });
    expect(empty.make).toThrow(/computeSubnets: selects no subnet/);
  });

  test('without its endpoint group or an S3 prefix list, functions in it are refused with the fix', () => {
    // The network itself is accepted: its subnets are fine; what is missing is named where it is needed.
    const { make } = byo({ subnetConfiguration: tiers });
    const n = make();
    expect(n.awsApiClientSecurityGroup).toBeUndefined();
    expect(n.s3ClientSecurityGroup).toBeUndefined();
    expect(() => n.allowEndpointAccess(new SecurityGroup(n, 'X', { vpc: n.vpc }))).toThrow(/existingEndpointSecurityGroup: the network has no interface-endpoint security group/);
  });
});

describe('SecureNetwork props', () => {
  test('conflicting or invalid props are refused together', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = new Vpc(stack, 'Mine');
    expect(() => new SecureNetwork(stack, 'A', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc, cidr: '10.0.0.0/16', egress: true }))
      .toThrow(/cidr: is set together with existingVpc[\s\S]*egress: is set together with existingVpc/);
    expect(() => new SecureNetwork(stack, 'B', { logKey: keys.audit, flowLogRetentionDays: 90, cidr: '10.0.0.0/8', azCount: 1 }))
      .toThrow(/azCount[\s\S]*cidr: \/8 is larger than a VPC can be/);
    expect(() => new SecureNetwork(stack, 'C', { logKey: keys.audit, flowLogRetentionDays: 42 })).toThrow(/42 is not a retention CloudWatch Logs accepts/);
    expect(() => new SecureNetwork(stack, 'D', { logKey: keys.audit, flowLogRetentionDays: 90, keys, s3PrefixListId: 'prefix-1' }))
      .toThrow(/profile: is missing while its pair is set[\s\S]*s3PrefixListId: "prefix-1" is not a prefix list id/);
    expect(() => new SecureNetwork(stack, 'E', { logKey: keys.audit, flowLogRetentionDays: 90, dataSubnets: { subnetGroupName: 'x' } }))
      .toThrow(/dataSubnets: only applies to existingVpc/);
  });
});
