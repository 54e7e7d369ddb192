/** The parts of a Lambda function our rules read, for both CloudFormation types that declare one. */
import { CfnResource } from 'aws-cdk-lib';
import { isJsonObject, JsonObject, referencedResource, resourcesOfType, templateProperties } from './template-view';

/** Functions by CloudFormation type: CDK's provider functions are plain `CfnResource`s of the first type. */
export const LAMBDA_FUNCTION_TYPES: readonly string[] = ['AWS::Lambda::Function', 'AWS::Serverless::Function'];

const SAM_FUNCTION = 'AWS::Serverless::Function';

export function isLambdaFunction(node: CfnResource): boolean {
  return LAMBDA_FUNCTION_TYPES.includes(node.cfnResourceType);
}

function objectAt(value: unknown, ...path: string[]): JsonObject | undefined {
  let current = value;
  for (const key of path) current = isJsonObject(current) ? current[key] : undefined;
  return isJsonObject(current) ? current : undefined;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** True when asynchronous invocations have a dead-letter queue or topic; SAM calls the property `DeadLetterQueue`. */
export function hasDeadLetterTarget(fn: CfnResource): boolean {
  const config = objectAt(templateProperties(fn), fn.cfnResourceType === SAM_FUNCTION ? 'DeadLetterQueue' : 'DeadLetterConfig');
  return present(config?.TargetArn);
}

/**
 * True when failed asynchronous invocations go somewhere: an `AWS::Lambda::EventInvokeConfig` of this stack that
 * names the function (by reference or by its literal name) with an on-failure destination, or SAM's inline
 * `EventInvokeConfig` (whose `OnFailure.Type` alone makes SAM create the queue or topic).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventinvokeconfig.html
 */
export function hasOnFailureDestination(fn: CfnResource): boolean {
  const properties = templateProperties(fn);
  if (fn.cfnResourceType === SAM_FUNCTION) {
    const onFailure = objectAt(properties, 'EventInvokeConfig', 'DestinationConfig', 'OnFailure');
    if (onFailure && (present(onFailure.Destination) || present(onFailure.Type))) return true;
  }
  const name = properties.FunctionName;
  return resourcesOfType(fn, 'AWS::Lambda::EventInvokeConfig').some((config) => {
    const { FunctionName: target, DestinationConfig: destinations } = templateProperties(config);
    const namesFunction = referencedResource(config, target) === fn || (typeof name === 'string' && target === name);
    return namesFunction && present(objectAt(destinations, 'OnFailure')?.Destination);
  });
}

/** The log group the function writes to, when it is a log group of this stack; undefined for the implicit one. */
export function functionLogGroup(fn: CfnResource): CfnResource | undefined {
  const logGroup = objectAt(templateProperties(fn), 'LoggingConfig')?.LogGroup;
  if (logGroup === undefined) return undefined;
  const referenced = referencedResource(fn, logGroup);
  if (referenced) return referenced.cfnResourceType === 'AWS::Logs::LogGroup' ? referenced : undefined;
  return typeof logGroup === 'string'
    ? resourcesOfType(fn, 'AWS::Logs::LogGroup').find((g) => templateProperties(g).LogGroupName === logGroup)
    : undefined;
}
