/** Our own cdk-nag pack: the rules this project holds itself to beyond the published packs. */
import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps, NagRuleCompliance } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ClassificationTag } from './rules/classification-tag';
import { LogGroupEncryptedWithRetention } from './rules/log-group-encrypted-with-retention';
import { NoSecretInLambdaEnvironment } from './rules/no-secret-in-lambda-environment';

interface RuleSpec {
  readonly rule: (node: CfnResource) => NagRuleCompliance;
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
    rule: NoSecretInLambdaEnvironment,
    info: 'A Lambda environment variable holds what looks like a secret value.',
    explanation: 'Environment variables are readable by anyone who can read the function configuration; pass a Secrets Manager ARN instead.',
  },
];

export class DataPipelineChecks extends NagPack {
  public readonly name = 'DataPipeline';

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = 'DataPipeline';
  }

  protected checkResource(node: CfnResource): void {
    for (const spec of DATA_PIPELINE_RULES) {
      this.applyRule({ info: spec.info, explanation: spec.explanation, level: NagMessageLevel.ERROR, rule: spec.rule, node });
    }
  }
}
