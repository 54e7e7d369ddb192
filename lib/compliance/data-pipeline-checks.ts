/** Our own cdk-nag pack: the rules this project holds itself to beyond the published packs. */
import { CfnResource, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ClassificationTag } from './rules/classification-tag';
import { LambdaEncryptedLogGroup } from './rules/lambda-encrypted-log-group';
import { LambdaFailureDestination } from './rules/lambda-failure-destination';
import { LambdaInVpc } from './rules/lambda-in-vpc';
import { LambdaBoundedConcurrency } from './rules/lambda-bounded-concurrency';
import { LogGroupEncryptedWithRetention } from './rules/log-group-encrypted-with-retention';
import { NoSecretInAnyLambdaEnvironment } from './rules/no-secret-in-any-lambda-environment';
import { SecurityGroupIngressFromGroupOrPrefixList } from './rules/security-group-ingress-from-group-or-prefix-list';
import { SecurityGroupInlineEgress } from './rules/security-group-inline-egress';
import { SecurityGroupNoOpenEgress } from './rules/security-group-no-open-egress';
import { RetainedResourceUniqueName } from './rules/retained-resource-unique-name';
import { StatefulResourceRetained } from './rules/stateful-resource-retained';
import { withTemplateCache } from './rules/template-view';
import { VpcEndpointPolicy } from './rules/vpc-endpoint-policy';

export interface RuleSpec {
  readonly rule: (node: CfnResource) => NagRuleCompliance;
  /** The rule name in findings and acknowledgements. @default the function's name */
  readonly name?: string;
  readonly info: string;
  readonly explanation: string;
}

export const DATA_PIPELINE_RULES: readonly RuleSpec[] = [
  {
    rule: ClassificationTag,
    info: 'The data-holding resource has no valid data-classification tag (Public, Internal or Restricted).',
    explanation: 'Classification decides encryption key, retention and who may read; an untagged store cannot be audited against it.',
  },
  {
    rule: LogGroupEncryptedWithRetention,
    info: 'The log group is not encrypted with a customer-managed KMS key or has no retention.',
    explanation: 'Logs may describe records and identities; they are encrypted like the data and expire on a schedule.',
  },
  {
    rule: NoSecretInAnyLambdaEnvironment,
    name: 'NoSecretInLambdaEnvironment',
    info: 'A Lambda environment variable holds what looks like a secret value.',
    explanation: 'Environment variables are readable by anyone who can read the function configuration; pass a Secrets Manager ARN instead.',
  },
  {
    rule: SecurityGroupInlineEgress,
    info: 'The security group declares no inline egress, so EC2 creates it with allow-all egress to any address.',
    explanation: 'Separate SecurityGroupEgress resources leave the group open at least until they exist. Keep one rule inline: CDK\'s '
      + 'allowAllOutbound: false writes a deny-all placeholder but drops it when an egress rule to another security group is added, '
      + 'so keep the placeholder (or an egress to a prefix list) in the L1\'s SecurityGroupEgress.',
  },
  {
    rule: SecurityGroupNoOpenEgress,
    info: 'The security group allows egress to 0.0.0.0/0 or ::/0 (or to a CIDR unknown at synth).',
    explanation: 'Reach AWS services through the VPC endpoints (egress to the endpoint security group or the S3 prefix list). Only a '
      + `group tagged as the egress tier may reach the internet, and only on TCP 443.`,
  },
  {
    rule: VpcEndpointPolicy,
    info: 'The VPC endpoint has no endpoint policy, or one that allows every action on every resource to anyone.',
    explanation: 'Without a policy the endpoint carries any principal\'s calls to any resource of the service, including other accounts\'. '
      + 'Attach a policy that allows only this account\'s principals (aws:PrincipalAccount) and, where the service allows, only our resources.',
  },
  {
    rule: SecurityGroupIngressFromGroupOrPrefixList,
    info: 'The security group admits ingress from an address range (a CIDR wider than /32 or /128, or one unknown at synth).',
    explanation: 'A range admits every present and future workload in it. Allow the clients\' security group (connections.allowFrom) '
      + 'or a managed prefix list instead; a single host may be named with /32 or /128.',
  },
  {
    rule: StatefulResourceRetained,
    info: 'The stateful resource is not DeletionPolicy RetainExceptOnCreate with UpdateReplacePolicy Retain: it is deleted with the stack '
      + 'or on replacement, or (plain Retain) it outlives a failed first deploy.',
    explanation: 'Use dataRemovalPolicy() (RETAIN_ON_UPDATE_OR_DELETE unless -c profile=dev -c destroyData=true) or '
      + 'RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE on the resource, so a deleted or replaced stack never deletes data, keys, logs or '
      + 'subscriptions, and a failed first deploy leaves nothing behind that blocks the retry.',
  },
  {
    rule: RetainedResourceUniqueName,
    info: 'The resource outlives its stack (DeletionPolicy Retain or RetainExceptOnCreate) and has a fixed physical name.',
    explanation: 'When the stack is created again, the retained resource blocks it with "already exists". Leave the name out '
      + '(CloudFormation generates one) or build it with deploymentUniqueName() (it contains the stack id), or from a resource of '
      + 'the same stack whose name is unique.',
  },
  {
    rule: LambdaInVpc,
    info: 'The Lambda function is not in the VPC (VpcConfig with subnets and security groups).',
    explanation: 'Outside the VPC a function bypasses our endpoints, egress rules and DNS firewall. Give it the VPC\'s isolated or egress '
      + 'subnets and its own security group (PipelineFunction does).',
  },
  {
    rule: LambdaFailureDestination,
    info: 'The Lambda function has neither a dead-letter queue nor an on-failure destination.',
    explanation: 'Failed asynchronous invocations are dropped after the retries. Set DeadLetterConfig.TargetArn (an encrypted queue) '
      + 'or an AWS::Lambda::EventInvokeConfig with DestinationConfig.OnFailure for the function.',
  },
  {
    rule: LambdaBoundedConcurrency,
    info: 'The Lambda function\'s concurrency has no bound the template shows: no reservation, and something invokes it without a maximum (or nothing bounded does).',
    explanation: 'A bound keeps cost and the load on the database and broker in check. Bound it where it is invoked: an SQS event source '
      + 'mapping with maxConcurrency, a Kafka mapping with provisionedPollerConfig.maximumPollers, a schedule, Secrets Manager rotation, or '
      + 'custom resources only; drop permissions for other principals, function URLs and SNS subscriptions. Or reserve a literal '
      + 'reservedConcurrentExecutions >= 1 where the account can hold it (it must keep 100 unreserved).',
  },
  {
    rule: LambdaEncryptedLogGroup,
    info: 'The Lambda function does not log to an encrypted log group with retention in this stack.',
    explanation: 'Without LoggingConfig.LogGroup Lambda writes to /aws/lambda/<name>, unencrypted and kept forever. Create the group '
      + 'with encryptedLogGroup() and pass it as the function\'s logGroup.',
  },
];

export class DataPipelineChecks extends NagPack {
  public readonly name = 'DataPipeline';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'DataPipeline';
  }

  /** One pass over a finished tree: the rules' template lookups are cached for its duration only. */
  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return withTemplateCache(() => super.validateScope(scope));
  }

  protected checkResource(node: CfnResource): void {
    for (const spec of DATA_PIPELINE_RULES) {
      this.applyRule({
        info: spec.info,
        explanation: spec.explanation,
        level: NagMessageLevel.ERROR,
        rule: spec.rule,
        node,
        ...(spec.name !== undefined ? { ruleSuffixOverride: spec.name } : {}),
      });
    }
  }
}
