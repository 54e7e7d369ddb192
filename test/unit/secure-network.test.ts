import { Match, Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { testStack } from '../helpers/app';

function network(props: Partial<ConstructorParameters<typeof SecureNetwork>[2]> = {}) {
  const stack = testStack();
  const keys = new DataKeys(stack, 'Keys');
  const net = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, ...props });
  return { stack, keys, net, get template() { return Template.fromStack(stack); } };
}

describe('SecureNetwork', () => {
  const { net, template } = network();

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

  test('the default security group is stripped of its rules', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
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

  test('interface endpoints for every AWS API the stages call, behind an SG that admits 443 from the VPC only', () => {
    const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
    const services = endpoints.map((e) => JSON.stringify(e.Properties.ServiceName));
    for (const s of ['secretsmanager', 'kms', '.logs', 'sts', 'sqs', 'sns', 'lambda', 'xray', 'monitoring', '.kafka', '.s3', '.dynamodb']) {
      expect(services.some((n) => n.includes(s))).toBe(true);
    }
    const interfaces = endpoints.filter((e) => e.Properties.VpcEndpointType === 'Interface');
    expect(interfaces).toHaveLength(10);
    for (const e of interfaces) expect(e.Properties.PrivateDnsEnabled).toBe(true);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints: HTTPS from inside the VPC only',
      SecurityGroupIngress: [{ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
    expect(net.vpcCidr).toBe('10.40.0.0/16');
  });

  test('the S3 gateway endpoint can be limited to our buckets for principals of this account', () => {
    const { stack, net: n } = network();
    const bucket = new Bucket(stack, 'B');
    n.allowBucketsThroughEndpoint(bucket);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      PolicyDocument: { Statement: [
        Match.objectLike({
          Sid: 'CloudFormationCustomResourceResponses',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cloudformation-custom-resource-response-*/*']] },
          Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
        }),
        Match.objectLike({
          Condition: { StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } } },
          Resource: [Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^B'), 'Arn'] }), Match.anyValue()],
        }),
      ] },
    });
  });

  test('an egress tier with NAT exists only when asked for', () => {
    const { template: t, net: n } = network({ egress: true, natGateways: 1 });
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.resourceCountIs('AWS::EC2::InternetGateway', 1);
    t.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    expect(n.egressSubnets).toEqual({ subnetGroupName: 'egress' });
  });

  test('an existing VPC is used as is', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = new Vpc(stack, 'Mine', { maxAzs: 2 });
    const n = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc });
    expect(n.vpc).toBe(vpc);
    expect(n.dataSubnets).toEqual({ subnetGroupName: 'data' });
    Template.fromStack(stack).resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  test('conflicting or invalid props are refused together', () => {
    const stack = testStack();
    const keys = new DataKeys(stack, 'Keys');
    const vpc = new Vpc(stack, 'Mine');
    expect(() => new SecureNetwork(stack, 'A', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc, cidr: '10.0.0.0/16', egress: true }))
      .toThrow(/cidr: is set together with existingVpc[\s\S]*egress: is set together with existingVpc/);
    expect(() => new SecureNetwork(stack, 'B', { logKey: keys.audit, flowLogRetentionDays: 90, cidr: '10.0.0.0/8', azCount: 1 }))
      .toThrow(/azCount[\s\S]*cidr/);
    expect(() => new SecureNetwork(stack, 'C', { logKey: keys.audit, flowLogRetentionDays: 42 })).toThrow(/42 is not a retention CloudWatch Logs accepts/);
  });
});
