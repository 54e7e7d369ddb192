import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnSecurityGroup, CfnSecurityGroupEgress, CfnVPC, Port, SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'SecurityGroupInlineEgress';

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      const vpc = Vpc.fromVpcAttributes(compliant, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
      new SecurityGroup(compliant, 'Closed', { vpc, allowAllOutbound: false });
      new SecurityGroup(compliant, 'AllOutbound', { vpc, allowAllOutbound: true });
      new CfnSecurityGroup(compliant, 'InlineL1', {
        groupDescription: 'inline egress', vpcId: 'vpc-1',
        securityGroupEgress: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, destinationPrefixListId: 'pl-123' }],
      });

      const nonCompliant = new Stack(app, 'NonCompliant');
      const cfnVpc = new CfnVPC(nonCompliant, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      const noEgress = new CfnSecurityGroup(nonCompliant, 'NoInlineEgress', { groupDescription: 'x', vpcId: cfnVpc.ref });
      // A separate egress resource adds a rule; it does not remove EC2's allow-all default.
      new CfnSecurityGroupEgress(nonCompliant, 'SeparateEgress', {
        groupId: noEgress.attrGroupId, ipProtocol: 'tcp', fromPort: 443, toPort: 443, destinationPrefixListId: 'pl-123',
      });
      new CfnSecurityGroup(nonCompliant, 'EmptyEgress', { groupDescription: 'x', vpcId: cfnVpc.ref, securityGroupEgress: [] });
      // The CDK trap: allowAllOutbound: false writes a deny-all placeholder, but an egress rule to another group is a
      // separate resource and the placeholder is dropped, leaving the group without inline egress.
      const importedVpc = Vpc.fromVpcAttributes(nonCompliant, 'ImportedVpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'] });
      const clients = new SecurityGroup(nonCompliant, 'Clients', { vpc: importedVpc, allowAllOutbound: false });
      clients.connections.allowTo(new SecurityGroup(nonCompliant, 'Brokers', { vpc: importedVpc, allowAllOutbound: false }), Port.tcp(9098));
      new CfnResource(nonCompliant, 'PlainGroup', { type: 'AWS::EC2::SecurityGroup', properties: { GroupDescription: 'x', VpcId: cfnVpc.ref } });
    });
  });

  test('a group with inline egress (CDK allowAllOutbound: false alone writes a placeholder) is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('a group without inline egress (a CDK group after an egress rule to another group), an empty list, or a plain group is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/Clients/Resource',
      'NonCompliant/EmptyEgress',
      'NonCompliant/NoInlineEgress',
      'NonCompliant/PlainGroup',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
