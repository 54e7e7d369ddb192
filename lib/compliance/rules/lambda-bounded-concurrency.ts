import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isLambdaFunction } from './lambda-function-view';
import { integerValue, isJsonObject, JsonObject, Referrer, referencedResource, referrersOf, resourcesOfType, templateProperties } from './template-view';

/**
 * Every function's concurrency is bounded in a way the template shows, without reserving it by default (a
 * reservation takes from the account's unreserved pool, which new accounts cannot spare):
 * - ReservedConcurrentExecutions is a literal integer ≥ 1; or
 * - something invokes it, and everything that does carries a bound: SQS event source mappings with
 *   ScalingConfig.MaximumConcurrency, Kafka (MSK or self-managed) mappings with ProvisionedPollerConfig.MaximumPollers,
 *   EventBridge rules or Scheduler schedules with a schedule expression (and their Lambda permissions), Secrets Manager
 *   rotation of a secret of this stack (the permission for secretsmanager.amazonaws.com names that secret and a
 *   rotation schedule names the function), custom resources of this stack (ServiceToken).
 * Anything else that invokes it fails the rule: a mapping without a maximum (or of a stream), a permission for any
 * other principal or source, an SNS subscription, a function URL, another function's destination. Invokers are found through the function and its
 * versions and aliases, by reference or by the function's literal name. A function nothing invokes and nothing
 * bounds fails too: only identity policies could invoke it, without limit.
 */
export function LambdaBoundedConcurrency(node: CfnResource): NagRuleCompliance {
  if (!isLambdaFunction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  if ((integerValue(templateProperties(node).ReservedConcurrentExecutions) ?? 0) >= 1) return NagRuleCompliance.COMPLIANT;
  const invokers = invokersOf(node);
  return invokers.length > 0 && invokers.every((i) => isBoundedInvoker(node, i))
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}

/**
 * The property through which a resource of each type invokes the function it names (or lets something invoke it).
 * A reference anywhere else (a custom resource passing the ARN as a property, a function's own EventInvokeConfig)
 * is not an invocation. Custom::* types invoke through ServiceToken like AWS::CloudFormation::CustomResource.
 */
const INVOKING_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::Lambda::EventSourceMapping': 'FunctionName',
  'AWS::Lambda::Permission': 'FunctionName',
  'AWS::Lambda::Url': 'TargetFunctionArn',
  'AWS::SNS::Subscription': 'Endpoint',
  'AWS::Events::Rule': 'Targets',
  'AWS::Scheduler::Schedule': 'Target',
  'AWS::SecretsManager::RotationSchedule': 'RotationLambdaARN',
  'AWS::CloudFormation::CustomResource': 'ServiceToken',
  // Another function's destination: invoked once per result of that function.
  'AWS::Lambda::EventInvokeConfig': 'DestinationConfig',
};

/** Types that name a function in FunctionName (or TargetFunctionArn), which may also be its literal name. */
const BY_NAME: readonly [string, string][] = [
  ['AWS::Lambda::EventSourceMapping', 'FunctionName'], ['AWS::Lambda::Permission', 'FunctionName'], ['AWS::Lambda::Url', 'TargetFunctionArn'],
];

function invokes({ resource, property }: Referrer): boolean {
  const type = resource.cfnResourceType;
  return property === (type.startsWith('Custom::') ? 'ServiceToken' : INVOKING_PROPERTY[type]);
}

/** What invokes the function or may: referrers of the function and of its versions and aliases, and literal-name ones. */
function invokersOf(fn: CfnResource): Referrer[] {
  const direct = referrersOf(fn);
  const qualified = direct
    .filter((r) => ['AWS::Lambda::Version', 'AWS::Lambda::Alias'].includes(r.resource.cfnResourceType) && r.property === 'FunctionName')
    .flatMap((r) => referrersOf(r.resource));
  const name = templateProperties(fn).FunctionName;
  const byName = typeof name !== 'string' ? [] : BY_NAME.flatMap(([type, property]) => resourcesOfType(fn, type)
    .filter((r) => namesLiterally(templateProperties(r)[property], name))
    .map((resource) => ({ resource, property })));
  const seen = new Set<CfnResource>();
  return [...direct, ...qualified, ...byName].filter((r) => {
    if (!invokes(r) || seen.has(r.resource)) return false;
    seen.add(r.resource);
    return true;
  });
}

/** A function name, or an ARN (optionally qualified) that ends in it. */
function namesLiterally(value: unknown, name: string): boolean {
  if (typeof value !== 'string') return false;
  return value === name || new RegExp(`:function:${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:[^:]+)?$`).test(value);
}

function isBoundedInvoker(fn: CfnResource, { resource }: Referrer): boolean {
  const properties = templateProperties(resource);
  const type = resource.cfnResourceType;
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') return true;
  switch (type) {
    case 'AWS::Lambda::EventSourceMapping':
      return mappingIsBounded(resource, properties);
    case 'AWS::Lambda::Permission':
      return permissionIsBounded(fn, resource, properties);
    case 'AWS::Events::Rule':
      return isScheduleRule(properties);
    case 'AWS::Scheduler::Schedule':
      return isSchedule(properties.ScheduleExpression);
    case 'AWS::SecretsManager::RotationSchedule':
      return true;
    default:
      // A function URL, an SNS subscription, another function's destination: any caller of the URL, any publisher
      // to the topic, every result of the other function.
      return false;
  }
}

const SQS_ARN = /^arn:[^:]+:sqs:/;
const KAFKA_ARN = /^arn:[^:]+:kafka:/;

/** SQS with MaximumConcurrency, Kafka with MaximumPollers; streams (Kinesis, DynamoDB) and MQ have no bound here. */
function mappingIsBounded(mapping: CfnResource, properties: JsonObject): boolean {
  const source = properties.EventSourceArn;
  const sourceType = referencedResource(mapping, source)?.cfnResourceType;
  const literal = typeof source === 'string' ? source : '';
  if (sourceType === 'AWS::SQS::Queue' || SQS_ARN.test(literal)) {
    return (integerValue(objectAt(properties, 'ScalingConfig')?.MaximumConcurrency) ?? 0) >= 2;
  }
  const kafka = sourceType === 'AWS::MSK::Cluster' || sourceType === 'AWS::MSK::ServerlessCluster' || KAFKA_ARN.test(literal)
    || isJsonObject(properties.SelfManagedEventSource);
  return kafka && (integerValue(objectAt(properties, 'ProvisionedPollerConfig')?.MaximumPollers) ?? 0) >= 1;
}

/**
 * EventBridge for a schedule rule of this stack, or Secrets Manager for a secret of this stack whose rotation
 * schedule names this function. Every other principal or source (any account, a topic, a bucket, an API) is unbounded.
 */
function permissionIsBounded(fn: CfnResource, permission: CfnResource, properties: JsonObject): boolean {
  const source = referencedResource(permission, properties.SourceArn);
  if (!source || properties.Action !== 'lambda:InvokeFunction') return false;
  if (properties.Principal === 'events.amazonaws.com') {
    return source.cfnResourceType === 'AWS::Events::Rule' && isScheduleRule(templateProperties(source));
  }
  if (properties.Principal === 'secretsmanager.amazonaws.com' && source.cfnResourceType === 'AWS::SecretsManager::Secret') {
    return resourcesOfType(fn, 'AWS::SecretsManager::RotationSchedule').some((schedule) => {
      const { SecretId: secret, RotationLambdaARN: lambda } = templateProperties(schedule);
      return referencedResource(schedule, secret) === source && referencedResource(schedule, lambda) === fn;
    });
  }
  return false;
}

/** A rule that fires on a schedule only: an event pattern would invoke the function once per matching event. */
function isScheduleRule(properties: JsonObject): boolean {
  return isSchedule(properties.ScheduleExpression) && properties.EventPattern === undefined;
}

function isSchedule(expression: unknown): boolean {
  return typeof expression === 'string' && /^(rate|cron|at)\(.+\)$/.test(expression);
}

function objectAt(value: JsonObject, key: string): JsonObject | undefined {
  const child = value[key];
  return isJsonObject(child) ? child : undefined;
}
