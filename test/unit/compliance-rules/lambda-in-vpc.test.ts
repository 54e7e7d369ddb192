import { CfnParameter, Stack } from 'aws-cdk-lib';
import { hardenedFunction, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LambdaInVpc';

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      hardenedFunction(compliant, 'Hardened');
      plainFunction(compliant, 'Plain');
      plainFunction(compliant, 'Sam', {}, 'AWS::Serverless::Function');

      const nonCompliant = new Stack(app, 'NonCompliant');
      hardenedFunction(nonCompliant, 'NoVpc', { vpc: undefined, vpcSubnets: undefined, securityGroups: undefined });
      // What CDK's Custom::VpcRestrictDefaultSG provider declares: no VpcConfig at all.
      plainFunction(nonCompliant, 'PlainNoVpc', { VpcConfig: undefined });
      plainFunction(nonCompliant, 'NoSubnets', { VpcConfig: { SubnetIds: [], SecurityGroupIds: ['sg-1'] } });
      plainFunction(nonCompliant, 'NoSecurityGroups', { VpcConfig: { SubnetIds: ['subnet-1'] } });
      const subnets = new CfnParameter(nonCompliant, 'Subnets', { type: 'List<AWS::EC2::Subnet::Id>' });
      plainFunction(nonCompliant, 'SubnetsFromParameter', { VpcConfig: { SubnetIds: subnets.valueAsList, SecurityGroupIds: ['sg-1'] } });
      plainFunction(nonCompliant, 'SamNoVpc', { VpcConfig: undefined }, 'AWS::Serverless::Function');
    });
  });

  test('functions with subnets and security groups are compliant, whatever construct declared them', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('functions outside the VPC, without subnets or groups, or with lists unknown at synth are non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/NoSecurityGroups',
      'NonCompliant/NoSubnets',
      'NonCompliant/NoVpc/Resource',
      'NonCompliant/PlainNoVpc',
      'NonCompliant/SamNoVpc',
      'NonCompliant/SubnetsFromParameter',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
