import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnVPC, CfnVPCEndpoint } from 'aws-cdk-lib/aws-ec2';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'VpcEndpointPolicy';

const SCOPED_POLICY = {
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow', Principal: { AWS: '*' }, Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::our-bucket/*',
    Condition: { StringEquals: { 'aws:PrincipalAccount': '111111111111' } },
  }],
};
const FULL_ACCESS = { Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] };

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      const vpc = new CfnVPC(compliant, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      new CfnVPCEndpoint(compliant, 'Gateway', { vpcId: vpc.ref, serviceName: 'com.amazonaws.eu-west-1.s3', vpcEndpointType: 'Gateway', policyDocument: SCOPED_POLICY });
      new CfnVPCEndpoint(compliant, 'Interface', { vpcId: vpc.ref, serviceName: 'com.amazonaws.eu-west-1.kms', vpcEndpointType: 'Interface', policyDocument: SCOPED_POLICY });
      // CloudFormation also takes the document as a JSON string (the L1 class does not, a plain CfnResource does).
      new CfnResource(compliant, 'PolicyAsString', {
        type: 'AWS::EC2::VPCEndpoint',
        properties: { VpcId: vpc.ref, ServiceName: 'com.amazonaws.eu-west-1.sqs', VpcEndpointType: 'Interface', PolicyDocument: JSON.stringify(SCOPED_POLICY) },
      });
      // Gateway Load Balancer endpoints take no policy: the rule does not apply.
      new CfnVPCEndpoint(compliant, 'GatewayLoadBalancer', { vpcId: vpc.ref, serviceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-1', vpcEndpointType: 'GatewayLoadBalancer' });

      const nonCompliant = new Stack(app, 'NonCompliant');
      const vpc2 = new CfnVPC(nonCompliant, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      new CfnVPCEndpoint(nonCompliant, 'InterfaceNoPolicy', { vpcId: vpc2.ref, serviceName: 'com.amazonaws.eu-west-1.kms', vpcEndpointType: 'Interface' });
      // No type means Gateway.
      new CfnVPCEndpoint(nonCompliant, 'UntypedNoPolicy', { vpcId: vpc2.ref, serviceName: 'com.amazonaws.eu-west-1.s3' });
      new CfnVPCEndpoint(nonCompliant, 'FullAccessWrittenOut', { vpcId: vpc2.ref, serviceName: 'com.amazonaws.eu-west-1.s3', policyDocument: FULL_ACCESS });
      new CfnResource(nonCompliant, 'FullAccessAsString', {
        type: 'AWS::EC2::VPCEndpoint',
        properties: { VpcId: vpc2.ref, ServiceName: 'com.amazonaws.eu-west-1.sts', VpcEndpointType: 'Interface', PolicyDocument: JSON.stringify(FULL_ACCESS) },
      });
      new CfnVPCEndpoint(nonCompliant, 'EmptyStatements', { vpcId: vpc2.ref, serviceName: 'com.amazonaws.eu-west-1.sns', vpcEndpointType: 'Interface', policyDocument: { Statement: [] } });
    });
  });

  test('Gateway and Interface endpoints with a scoped policy are compliant; GWLB endpoints are not judged', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('an endpoint without a policy, or with the full-access policy written out, is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/EmptyStatements',
      'NonCompliant/FullAccessAsString',
      'NonCompliant/FullAccessWrittenOut',
      'NonCompliant/InterfaceNoPolicy',
      'NonCompliant/UntypedNoPolicy',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
