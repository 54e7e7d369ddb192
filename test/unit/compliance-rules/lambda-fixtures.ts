/** Functions for the Lambda rules' tests: a fully hardened L2, and plain CfnResources that a test strips one property from. */
import { CfnResource, Duration } from 'aws-cdk-lib';
import { SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, FunctionProps, Runtime } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000';

/** A log group our pack accepts: customer-managed key and retention. */
export function encryptedLogGroup(scope: Construct, id: string, props: { logGroupName?: string } = {}): CfnLogGroup {
  return new CfnLogGroup(scope, id, { kmsKeyId: KEY_ARN, retentionInDays: 30, ...props });
}

/** An L2 function with everything the pack asks for; `overrides` take parts away. */
export function hardenedFunction(scope: Construct, id: string, overrides: Partial<FunctionProps> = {}): LambdaFunction {
  const vpc = Vpc.fromVpcAttributes(scope, `${id}Vpc`, { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], isolatedSubnetIds: ['subnet-1'] });
  return new LambdaFunction(scope, id, {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {};'),
    vpc,
    vpcSubnets: { subnetType: SubnetType.PRIVATE_ISOLATED },
    securityGroups: [new SecurityGroup(scope, `${id}SecurityGroup`, { vpc, allowAllOutbound: false })],
    deadLetterQueue: new Queue(scope, `${id}DeadLetters`, { retentionPeriod: Duration.days(14) }),
    reservedConcurrentExecutions: 2,
    logGroup: new LogGroup(scope, `${id}Logs`, { encryptionKey: new Key(scope, `${id}LogKey`), retention: RetentionDays.ONE_MONTH }),
    ...overrides,
  });
}

/**
 * A function declared as a plain CfnResource, as CDK's provider functions and other libraries are: the pack must
 * judge it by its type. Starts compliant with every Lambda rule; an `overrides` entry set to undefined removes it.
 */
export function plainFunction(
  scope: Construct, id: string, overrides: Record<string, unknown> = {}, type = 'AWS::Lambda::Function',
): CfnResource {
  const properties: Record<string, unknown> = {
    Role: 'arn:aws:iam::111111111111:role/function',
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Code: { ZipFile: 'exports.handler = async () => {};' },
    VpcConfig: { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
    [type === 'AWS::Serverless::Function' ? 'DeadLetterQueue' : 'DeadLetterConfig']: {
      ...(type === 'AWS::Serverless::Function' ? { Type: 'SQS' } : {}),
      TargetArn: 'arn:aws:sqs:eu-west-1:111111111111:dead-letters',
    },
    ReservedConcurrentExecutions: 1,
    LoggingConfig: { LogGroup: encryptedLogGroup(scope, `${id}Logs`).ref },
    ...overrides,
  };
  for (const [key, value] of Object.entries(properties)) if (value === undefined) delete properties[key];
  return new CfnResource(scope, id, { type, properties });
}
