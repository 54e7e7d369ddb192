/** A team's CI for example (b): their VPC and key are used, never recreated, and every pack passes. */
import * as fs from 'fs';
import * as path from 'path';
import { checkCompliance, templateOf } from 'secure-data-pipeline/testing';
import { buildBringYourOwnVpcApp, STACK_NAME, TEAM_PLATFORM } from './stack';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

test('the pipeline in the team VPC under the team key passes every pack', () => {
  const { result } = checkCompliance((app) => { buildBringYourOwnVpcApp(app); });
  const template = templateOf(result, STACK_NAME) as Template;
  // Nothing was looked up in the account (a lookup would leave "missing" context and dummy values): all by ID.
  expect(JSON.parse(fs.readFileSync(path.join(result.outdir, 'manifest.json'), 'utf8')).missing).toBeUndefined();
  const resources = Object.values(template.Resources);
  const ofType = (type: string) => resources.filter((r) => r.Type === type);
  // Nothing of the network is created: no VPC, subnets, endpoints or flow logs of the pipeline's own.
  for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::VPCEndpoint', 'AWS::EC2::FlowLog', 'AWS::EC2::NatGateway']) {
    expect([type, ofType(type).length]).toEqual([type, 0]);
  }
  // Data stores sit in the team's data subnets; functions in its compute subnets; Restricted data under its key.
  const db = ofType('AWS::RDS::DBSubnetGroup')[0]!;
  expect(db.Properties?.SubnetIds).toEqual(TEAM_PLATFORM.dataSubnetIds);
  const isolatedFunctions = ofType('AWS::Lambda::Function').filter((f) => JSON.stringify(f.Properties?.VpcConfig).includes(TEAM_PLATFORM.computeSubnetIds[0]));
  expect(isolatedFunctions.length).toBeGreaterThan(0);
  expect(ofType('AWS::RDS::DBInstance')[0]!.Properties?.KmsKeyId).toBe(TEAM_PLATFORM.restrictedKeyArn);
  // The team's endpoint group admits the pipeline's functions on 443, and nothing else is opened on it.
  const ingress = ofType('AWS::EC2::SecurityGroupIngress').filter((r) => r.Properties?.GroupId === TEAM_PLATFORM.endpointSecurityGroupId);
  expect(ingress.length).toBeGreaterThan(0);
  for (const rule of ingress) expect([rule.Properties?.FromPort, rule.Properties?.ToPort]).toEqual([443, 443]);
});
