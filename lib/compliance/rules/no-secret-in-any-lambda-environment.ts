import { CfnResource } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance } from 'cdk-nag';
import { isLambdaFunction } from './lambda-function-view';
import { NoSecretInLambdaEnvironment, secretLikeVariables } from './no-secret-in-lambda-environment';
import { isJsonObject, templateProperties } from './template-view';

/**
 * NoSecretInLambdaEnvironment for every function by CloudFormation type. That rule recognises `CfnFunction`
 * instances only, so a plain `CfnResource` of type `AWS::Lambda::Function` (CDK's provider functions) or a SAM
 * function would pass unread; this one reads their environment from the template with the same judgement.
 * Reported under the same rule id.
 */
export function NoSecretInAnyLambdaEnvironment(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  if (node instanceof CfnFunction) return NoSecretInLambdaEnvironment(node);
  const environment = templateProperties(node).Environment;
  const variables = isJsonObject(environment) && isJsonObject(environment.Variables) ? environment.Variables : {};
  return secretLikeVariables(variables).length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
