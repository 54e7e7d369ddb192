import { Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupIngress, CfnVPC, Peer, Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'SecurityGroupIngressFromGroupOrPrefixList';

function group(scope: Construct, id: string): SecurityGroup {
  const vpc = Vpc.fromVpcAttributes(scope, `${id}Vpc`, { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
  return new SecurityGroup(scope, id, { vpc, allowAllOutbound: false });
}

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      const clients = group(compliant, 'Clients');
      group(compliant, 'FromGroup').addIngressRule(clients, Port.tcp(5432));
      group(compliant, 'FromPrefixList').addIngressRule(Peer.prefixList('pl-123'), Port.tcp(443));
      group(compliant, 'FromOneHost').addIngressRule(Peer.ipv4('10.0.3.7/32'), Port.tcp(443));
      group(compliant, 'FromOneIpv6Host').addIngressRule(Peer.ipv6('2001:db8::7/128'), Port.tcp(443));
      group(compliant, 'NoIngress');

      const nonCompliant = new Stack(app, 'NonCompliant');
      group(nonCompliant, 'FromAnywhere').addIngressRule(Peer.anyIpv4(), Port.tcp(443));
      group(nonCompliant, 'FromVpcRange').addIngressRule(Peer.ipv4('10.40.0.0/16'), Port.tcp(443));
      group(nonCompliant, 'FromIpv6Range').addIngressRule(Peer.ipv6('2001:db8::/64'), Port.tcp(443));
      // The VPC CIDR as a token is the whole VPC; a token is refused rather than guessed.
      const vpc = new CfnVPC(nonCompliant, 'Vpc', { cidrBlock: '10.2.0.0/16' });
      new CfnSecurityGroup(nonCompliant, 'FromVpcCidrToken', {
        groupDescription: 'x', vpcId: vpc.ref,
        securityGroupIngress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: vpc.attrCidrBlock }],
      });
      new CfnSecurityGroupIngress(nonCompliant, 'StandaloneAnyIpv6', { groupId: 'sg-0123456789abcdef0', ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv6: '::/0' });
    });
  });

  test('ingress from a security group, a prefix list or a single host (/32, /128) is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('ingress from any address range, the VPC CIDR (literal or token) or ::/0 is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/FromAnywhere/Resource',
      'NonCompliant/FromIpv6Range/Resource',
      'NonCompliant/FromVpcCidrToken',
      'NonCompliant/FromVpcRange/Resource',
      'NonCompliant/StandaloneAnyIpv6',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
