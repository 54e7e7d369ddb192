/**
 * Who can reach what, read from the synthesized template of the whole dev blueprint: the claims the README makes
 * about the network hold for every security group, whichever construct made it.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { NETWORK_TIER_TAG } from '../../lib/compliance/markers';
import { buildPipelineStack, testApp } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

const ANYWHERE = new Set(['0.0.0.0/0', '::/0']);

describe('network reach of the dev blueprint', () => {
  const stack = buildPipelineStack(testApp());
  const { pipeline } = stack;
  const resources: Record<string, { Type: string; Properties: Json }> = Template.fromStack(stack).toJSON().Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const groups = new Map(ofType('AWS::EC2::SecurityGroup'));
  const tierOf = (group: string) => (groups.get(group)!.Properties.Tags as Array<{ Key: string; Value: string }> | undefined)
    ?.find((t) => t.Key === NETWORK_TIER_TAG)?.Value;
  const groupOf = (ref: Json): string => ref['Fn::GetAtt'][0];
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

  /** Every egress rule of the template with the group it belongs to, inline or a separate resource. */
  const egressRules: Array<{ group: string; rule: Json }> = [
    ...[...groups].flatMap(([group, g]) => (g.Properties.SecurityGroupEgress as Json[] ?? []).map((rule) => ({ group, rule }))),
    ...ofType('AWS::EC2::SecurityGroupEgress').map(([, r]) => ({ group: groupOf(r.Properties.GroupId), rule: r.Properties })),
  ];

  test('every security group carries inline egress (CloudFormation would otherwise add allow-all) and a tier tag', () => {
    expect(groups.size).toBeGreaterThan(10);
    for (const [name, g] of groups) {
      expect({ name, egress: g.Properties.SecurityGroupEgress }).toEqual({ name, egress: expect.arrayContaining([expect.anything()]) });
      expect({ name, tier: tierOf(name) }).toEqual({ name, tier: expect.stringMatching(/^(egress|isolated|endpoint|data)$/) });
    }
    // The group of the finding: the MSK brokers keep the "disallow all" rule inline (the database has no rotation function).
    for (const g of [pipeline.stream.securityGroup]) {
      expect(groups.get(id(g))!.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp' })]);
    }
  });

  test('only groups tagged egress reach 0.0.0.0/0 or ::/0, and only on tcp/443', () => {
    const toAnywhere = egressRules.filter(({ rule }) => ANYWHERE.has(rule.CidrIp) || ANYWHERE.has(rule.CidrIpv6));
    expect(toAnywhere.length).toBeGreaterThan(0);
    for (const { group, rule } of toAnywhere) {
      expect({ group, tier: tierOf(group), protocol: rule.IpProtocol, from: rule.FromPort, to: rule.ToPort })
        .toEqual({ group, tier: 'egress', protocol: 'tcp', from: 443, to: 443 });
    }
    // No ingress from anywhere, and no CIDR ingress at all: every peer is a named security group.
    const ingress = [
      ...[...groups].flatMap(([, g]) => g.Properties.SecurityGroupIngress as Json[] ?? []),
      ...ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties),
    ];
    for (const rule of ingress) expect(rule).toEqual(expect.objectContaining({ SourceSecurityGroupId: expect.anything() }));
  });

  test('the egress-tier groups are exactly those of the functions in the egress subnets', () => {
    const egressTier = [...groups.keys()].filter((g) => tierOf(g) === 'egress').sort();
    const inEgressSubnets = ofType('AWS::Lambda::Function').filter(([, f]) => JSON.stringify(f.Properties.VpcConfig.SubnetIds).includes('egress'))
      .map(([, f]) => groupOf(f.Properties.VpcConfig.SecurityGroupIds[0])).sort();
    expect(egressTier).toEqual(inEgressSubnets);
    // Ingest, the credential rotations and the network's deploy-time function; nothing else calls the internet.
    expect(egressTier.sort()).toEqual([
      ...[...pipeline.ingest.values()].map((s) => id(s.function.securityGroup)),
      ...[...pipeline.credentials.values()].map((c) => id(c.rotationFunction.securityGroup)),
      id(pipeline.network.customResources!.function.securityGroup),
    ].sort());
  });

  test('isolated functions (store, load, schema bootstrap, broker lookup, GuardDuty detector and plans) reach no CIDR: only security groups and the S3 prefix list', () => {
    const isolated = ofType('AWS::Lambda::Function').filter(([, f]) => JSON.stringify(f.Properties.VpcConfig.SubnetIds).includes('compute'));
    expect(isolated.length).toBe(pipeline.store.size + 4);
    for (const [name, f] of isolated) {
      const carried = (f.Properties.VpcConfig.SecurityGroupIds as Json[]).map(groupOf);
      const rules = egressRules.filter(({ group }) => carried.includes(group)).map(({ rule }) => rule)
        .filter((r) => r.CidrIp !== '255.255.255.255/32');
      for (const rule of rules) {
        expect({ name, rule }).toEqual({ name, rule: expect.objectContaining({ IpProtocol: 'tcp' }) });
        expect(rule.CidrIp ?? rule.CidrIpv6).toBeUndefined();
        expect(rule.DestinationSecurityGroupId ?? rule.DestinationPrefixListId).toBeDefined();
      }
      const https = rules.filter((r) => r.FromPort === 443);
      expect(https.map((r) => r.DestinationSecurityGroupId ? groupOf(r.DestinationSecurityGroupId) : 'S3').sort())
        .toEqual([id(pipeline.network.endpointSecurityGroup), 'S3'].sort());
    }
  });

  test('the interface endpoints admit exactly the shared API-client group and the MSK pollers', () => {
    const endpointGroup = id(pipeline.network.endpointSecurityGroup);
    const admitted = ofType('AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties)
      .filter((p) => groupOf(p.GroupId) === endpointGroup);
    for (const p of admitted) expect(p).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    expect(admitted.map((p) => groupOf(p.SourceSecurityGroupId)).sort()).toEqual([
      id(pipeline.network.awsApiClientSecurityGroup), id(pipeline.stream.securityGroup),
    ].sort());
  });
});
