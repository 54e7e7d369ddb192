import { CfnParameter, Stack, Tags } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupEgress, CfnVPC, Peer, Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { EGRESS_TIER, NETWORK_TIER_TAG } from '../../../lib/compliance/markers';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'SecurityGroupNoOpenEgress';

function closedGroup(scope: Construct, id: string, tier?: string): SecurityGroup {
  const vpc = Vpc.fromVpcAttributes(scope, `${id}Vpc`, { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
  const group = new SecurityGroup(scope, id, { vpc, allowAllOutbound: false });
  if (tier) Tags.of(group).add(NETWORK_TIER_TAG, tier);
  return group;
}

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      const endpoints = closedGroup(compliant, 'Endpoints');
      const toEndpoints = closedGroup(compliant, 'ToEndpoints');
      toEndpoints.addEgressRule(endpoints, Port.tcp(443));
      closedGroup(compliant, 'ToPrefixList').addEgressRule(Peer.prefixList('pl-123'), Port.tcp(443));
      const egressTier = closedGroup(compliant, 'EgressTierHttps', EGRESS_TIER);
      egressTier.addEgressRule(Peer.anyIpv4(), Port.tcp(443));
      egressTier.addEgressRule(Peer.anyIpv6(), Port.tcp(443));
      // A standalone rule on a tagged group of this stack: the tag is read through GroupId.
      const tagged = new CfnSecurityGroup(compliant, 'TaggedL1', {
        groupDescription: 'x', vpcId: 'vpc-1', tags: [{ key: NETWORK_TIER_TAG, value: EGRESS_TIER }],
        securityGroupEgress: [{ ipProtocol: 'icmp', fromPort: 252, toPort: 86, cidrIp: '255.255.255.255/32' }],
      });
      new CfnSecurityGroupEgress(compliant, 'TaggedHttps', { groupId: tagged.attrGroupId, ipProtocol: '6', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' });
      // A VPC CIDR written as vpc.vpcCidrBlock is followed to the VPC's literal block: not open.
      const vpc = new CfnVPC(compliant, 'LiteralVpc', { cidrBlock: '10.1.0.0/16' });
      new CfnSecurityGroup(compliant, 'ToVpcCidr', {
        groupDescription: 'x', vpcId: vpc.ref,
        securityGroupEgress: [{ ipProtocol: 'tcp', fromPort: 5432, toPort: 5432, cidrIp: vpc.attrCidrBlock }],
      });

      const nonCompliant = new Stack(app, 'NonCompliant');
      const allOutbound = Vpc.fromVpcAttributes(nonCompliant, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
      new SecurityGroup(nonCompliant, 'AllOutbound', { vpc: allOutbound, allowAllOutbound: true });
      // HTTPS to anywhere from a group that is not the egress tier: what "HTTPS to AWS endpoints" groups do today.
      closedGroup(nonCompliant, 'UntaggedHttps').addEgressRule(Peer.anyIpv4(), Port.tcp(443));
      closedGroup(nonCompliant, 'OtherTierHttps', 'isolated').addEgressRule(Peer.anyIpv4(), Port.tcp(443));
      closedGroup(nonCompliant, 'EgressTierHttp', EGRESS_TIER).addEgressRule(Peer.anyIpv4(), Port.tcp(80));
      new CfnSecurityGroup(nonCompliant, 'EgressTierAllIpv6', {
        groupDescription: 'x', vpcId: 'vpc-1', tags: [{ key: NETWORK_TIER_TAG, value: EGRESS_TIER }],
        securityGroupEgress: [{ ipProtocol: '-1', cidrIpv6: '::/0' }],
      });
      closedGroup(nonCompliant, 'EgressTierPortRange', EGRESS_TIER).addEgressRule(Peer.anyIpv4(), Port.tcpRange(443, 444));
      const untagged = new CfnSecurityGroup(nonCompliant, 'UntaggedL1', {
        groupDescription: 'x', vpcId: 'vpc-1', securityGroupEgress: [{ ipProtocol: 'icmp', fromPort: 252, toPort: 86, cidrIp: '255.255.255.255/32' }],
      });
      new CfnSecurityGroupEgress(nonCompliant, 'StandaloneOpen', { groupId: untagged.attrGroupId, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv6: '::/0' });
      // An imported group cannot show the egress-tier tag, so its open rule is refused.
      new CfnSecurityGroupEgress(nonCompliant, 'ImportedGroupOpen', { groupId: 'sg-0123456789abcdef0', ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: '0.0.0.0/0' });
      // A CIDR unknown at synth could be 0.0.0.0/0.
      const cidr = new CfnParameter(nonCompliant, 'Cidr', { type: 'String' });
      new CfnSecurityGroupEgress(nonCompliant, 'ParameterCidr', { groupId: untagged.attrGroupId, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIp: cidr.valueAsString });
    });
  });

  test('egress to groups, prefix lists, a literal VPC CIDR, and TCP 443 to anywhere from the egress tier is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('open egress from any other group, other ports from the egress tier, imported groups and unknown CIDRs are non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/AllOutbound/Resource',
      'NonCompliant/EgressTierAllIpv6',
      'NonCompliant/EgressTierHttp/Resource',
      'NonCompliant/EgressTierPortRange/Resource',
      'NonCompliant/ImportedGroupOpen',
      'NonCompliant/OtherTierHttps/Resource',
      'NonCompliant/ParameterCidr',
      'NonCompliant/StandaloneOpen',
      'NonCompliant/UntaggedHttps/Resource',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
