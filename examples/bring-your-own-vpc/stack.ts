/**
 * Example (b): the pipeline inside a VPC and under a KMS key the team already manages (a platform team's landing
 * zone, say). Nothing is looked up at synth: the VPC, its endpoint security group and the key are imported from the
 * IDs below (replace them with yours, or pass them as context). Imports only the package's public entry point.
 */
import * as path from 'path';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { loadDatasetsConfig, resolveProfile, SecurePipeline } from 'secure-data-pipeline';

/**
 * The team's network and key, as their platform team hands them over. The VPC has isolated subnet groups `data` and
 * `compute`, a private `egress` group routed through NAT for the ingest stages, and interface endpoints (Secrets
 * Manager, KMS, STS, Lambda, CloudWatch Logs, ...) behind one security group. The key's policy delegates to IAM
 * (the account root principal), so the grants the pipeline writes into its roles take effect.
 */
export const TEAM_PLATFORM = {
  account: '111122223333',
  region: 'eu-west-1',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  dataSubnetIds: ['subnet-0d0000000000000a1', 'subnet-0d0000000000000b2'],
  computeSubnetIds: ['subnet-0c0000000000000a1', 'subnet-0c0000000000000b2'],
  egressSubnetIds: ['subnet-0e0000000000000a1', 'subnet-0e0000000000000b2'],
  isolatedRouteTableIds: ['rtb-0d00000000000000a', 'rtb-0d00000000000000b', 'rtb-0c00000000000000a', 'rtb-0c00000000000000b'],
  egressRouteTableIds: ['rtb-0e00000000000000a', 'rtb-0e00000000000000b'],
  endpointSecurityGroupId: 'sg-0f1e2d3c4b5a69788',
  /** com.amazonaws.eu-west-1.s3 */
  s3PrefixListId: 'pl-6da54004',
  restrictedKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/0b6a2c1e-3f4d-4e5a-8b9c-0d1e2f3a4b5c',
} as const;

export const STACK_NAME = 'TeamVpcPipeline';

export class BringYourOwnVpcStack extends Stack {
  public readonly pipeline: SecurePipeline;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, { ...props, env: { account: TEAM_PLATFORM.account, region: TEAM_PLATFORM.region } });
    const p = TEAM_PLATFORM;
    const vpc = Vpc.fromVpcAttributes(this, 'TeamVpc', {
      vpcId: p.vpcId,
      availabilityZones: [...p.availabilityZones],
      isolatedSubnetIds: [...p.dataSubnetIds, ...p.computeSubnetIds],
      isolatedSubnetNames: ['data', 'compute'],
      isolatedSubnetRouteTableIds: [...p.isolatedRouteTableIds],
      privateSubnetIds: [...p.egressSubnetIds],
      privateSubnetNames: ['egress'],
      privateSubnetRouteTableIds: [...p.egressRouteTableIds],
    });
    this.pipeline = new SecurePipeline(this, 'Pipeline', {
      profile: resolveProfile('dev'),
      datasets: loadDatasetsConfig(path.join(__dirname, '..', 'datasets.json')),
      existingVpc: vpc,
      existingEndpointSecurityGroup: SecurityGroup.fromSecurityGroupId(this, 'TeamEndpoints', p.endpointSecurityGroupId, { mutable: true }),
      s3PrefixListId: p.s3PrefixListId,
      existingKeys: { restricted: Key.fromKeyArn(this, 'TeamRestrictedKey', p.restrictedKeyArn) },
    });
  }
}

export function buildBringYourOwnVpcApp(app: App): BringYourOwnVpcStack {
  return new BringYourOwnVpcStack(app, STACK_NAME);
}
