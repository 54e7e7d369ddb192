import { SecretValue, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { datasetOutputKey, operatorOutput } from '../../lib/stacks/outputs';
import { buildPipelineStack, testApp } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

describe('stack outputs (dev blueprint, example datasets)', () => {
  const stack = buildPipelineStack(testApp());
  const { pipeline } = stack;
  const template = Template.fromStack(stack).toJSON();
  const outputs = (template.Outputs ?? {}) as Record<string, { Value: Json; Description?: string; Export?: Json }>;
  const resources = template.Resources as Record<string, { Type: string }>;
  const logicalId = (c: IConstruct) => stack.getLogicalId((c.node.defaultChild ?? c) as never);
  const ref = (c: IConstruct) => ({ Ref: logicalId(c) });
  const att = (c: IConstruct, attribute: string) => ({ 'Fn::GetAtt': [logicalId(c), attribute] });

  // The README's commands name these keys: renaming one breaks them, so the list is exact.
  const expected: Record<string, Json> = {
    CustomerOrdersCredentialSecretArn: ref(pipeline.credentials.get('customer_orders')!.secret),
    PatientVisitsCredentialSecretArn: ref(pipeline.credentials.get('patient_visits')!.secret),
    WeatherObservationsIngestFunctionName: ref(pipeline.ingest.get('weather_observations')!.function.function),
    CustomerOrdersIngestFunctionName: ref(pipeline.ingest.get('customer_orders')!.function.function),
    PatientVisitsIngestFunctionName: ref(pipeline.ingest.get('patient_visits')!.function.function),
    DatabaseEndpointAddress: att(pipeline.database.instance, 'Endpoint.Address'),
    DatabaseEndpointPort: att(pipeline.database.instance, 'Endpoint.Port'),
    DatabaseMasterSecretArn: att(pipeline.database.instance, 'MasterUserSecret.SecretArn'),
    StreamBootstrapBrokersSaslIam: { 'Fn::GetAtt': [expect.stringMatching(/^PipelineStreamBootstrapBrokers/), 'BootstrapBrokerStringSaslIam'] },
    StreamClusterArn: att(pipeline.stream.cluster, 'Arn'),
    AlertTopicArn: ref(pipeline.threatDetection.alerts.topic),
    GuardDutyDetectorId: att(pipeline.threatDetection.detector!, 'DetectorId'),
    ScheduleDeadLetterQueueUrl: ref(pipeline.scheduleDeadLetterQueue),
    ScheduleDeadLetterQueueArn: att(pipeline.scheduleDeadLetterQueue, 'Arn'),
    LoadDeadLetterQueueUrl: ref(pipeline.load.deadLetterQueue),
    LoadDeadLetterQueueArn: att(pipeline.load.deadLetterQueue, 'Arn'),
    LoadRuleDeadLetterQueueUrl: ref(pipeline.load.ruleDeadLetterQueue),
    LoadRuleDeadLetterQueueArn: att(pipeline.load.ruleDeadLetterQueue, 'Arn'),
    AlertsDeadLetterQueueUrl: ref(pipeline.threatDetection.alerts.deadLetterQueue),
    AlertsDeadLetterQueueArn: att(pipeline.threatDetection.alerts.deadLetterQueue, 'Arn'),
    ...Object.fromEntries(['Internal', 'Public', 'Restricted'].flatMap((c) => {
      const queue = stack.node.findChild(`PipelineFunctionDeadLetters${c}`);
      return [[`FunctionDeadLetterQueue${c}Url`, ref(queue)], [`FunctionDeadLetterQueue${c}Arn`, att(queue, 'Arn')]];
    })),
    ...Object.fromEntries([...pipeline.curatedBuckets].map(([c, b]) => [`Curated${c}BucketName`, ref(b.bucket)])),
    QuarantineBucketName: ref(pipeline.quarantineBucket.bucket),
    TrailBucketName: ref(pipeline.auditTrail.trailBucket!.bucket),
    AccessLogsBucketName: ref(pipeline.accessLogs.bucket),
    WatermarkTableName: ref(pipeline.watermarks),
    TokenizationKeySecretArn: ref(pipeline.tokenizationKey!),
  };

  test('the output keys are exactly the documented ones, stable for the example datasets', () => {
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(expected).sort());
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['CuratedPublicBucketName', 'CuratedInternalBucketName', 'CuratedRestrictedBucketName']));
  });

  test('each output references the resource it names', () => {
    for (const [key, value] of Object.entries(expected)) {
      expect({ key, value: outputs[key]?.Value }).toEqual({ key, value });
    }
    // The brokers come from the deploy-time lookup the stream owns, the only place CloudFormation can read them.
    const brokers = outputs.StreamBootstrapBrokersSaslIam.Value['Fn::GetAtt'][0] as string;
    expect(resources[brokers].Type).toMatch(/^Custom::/);
    expect(stack.resolve(pipeline.stream.bootstrapBrokersSaslIam)).toEqual(outputs.StreamBootstrapBrokersSaslIam.Value);
  });

  test('every output says what to do with it and is not exported (an export locks the stack to its importers)', () => {
    for (const [key, output] of Object.entries(outputs)) {
      const length = output.Description?.length ?? 0;
      expect({ key, describedWithinLimit: length > 30 && length <= 1024 }).toEqual({ key, describedWithinLimit: true });
      expect({ key, export: output.Export }).toEqual({ key, export: undefined });
      expect(key).toMatch(/^[A-Za-z0-9]{1,255}$/);
    }
    expect(outputs.CustomerOrdersCredentialSecretArn.Description).toContain('put-secret-value');
    expect(outputs.CustomerOrdersCredentialSecretArn.Description).toContain('rotate-secret');
    expect(outputs.LoadDeadLetterQueueArn.Description).toContain('start-message-move-task --source-arn');
  });

  test('no output holds a secret value: secrets appear only as ARNs, every value is a reference', () => {
    const text = JSON.stringify(outputs);
    expect(text).not.toMatch(/resolve:(secretsmanager|ssm-secure)/);
    expect(text).not.toMatch(/SecretString|password/i);
    for (const [key, output] of Object.entries(outputs)) {
      expect({ key, kind: Object.keys(output.Value)[0] }).toEqual({ key, kind: expect.stringMatching(/^(Ref|Fn::GetAtt)$/) });
    }
    const secretOutputs = Object.keys(outputs).filter((k) => /Secret/.test(k));
    expect(secretOutputs.sort()).toEqual(['CustomerOrdersCredentialSecretArn', 'DatabaseMasterSecretArn', 'PatientVisitsCredentialSecretArn', 'TokenizationKeySecretArn']);
    for (const key of secretOutputs) {
      const value = outputs[key].Value;
      if (value.Ref) expect(resources[value.Ref].Type).toBe('AWS::SecretsManager::Secret');
      else expect(value['Fn::GetAtt'][1]).toBe('MasterUserSecret.SecretArn');
    }
  });

  test('outputs sit directly under the stack, so the key is the construct id', () => {
    for (const key of Object.keys(expected)) expect(stack.node.tryFindChild(key)).toBeDefined();
    expect(Stack.of(stack.node.findChild('AlertTopicArn'))).toBe(stack);
  });
});

describe('stack outputs with -c guardDutyDetectorId', () => {
  test('GuardDutyDetectorId is the given detector', () => {
    const detectorId = '0123456789abcdef0123456789abcdef';
    const outputs = Template.fromStack(buildPipelineStack(testApp({ guardDutyDetectorId: detectorId }))).toJSON().Outputs;
    expect(outputs.GuardDutyDetectorId.Value).toBe(detectorId);
  });
});

describe('datasetOutputKey', () => {
  test('PascalCases lower_snake_case names, alphanumeric only', () => {
    expect(datasetOutputKey('customer_orders')).toBe('CustomerOrders');
    expect(datasetOutputKey('a1_b2_c3')).toBe('A1B2C3');
    expect(datasetOutputKey('x9')).toBe('X9');
  });

  test('the key is the name without "_" (up to case), so names the config accepts as distinct give distinct keys', () => {
    // The config refuses names that are equal without "_" (test/unit/config.test.ts).
    for (const name of ['ab_cd', 'abc_d', 'orders', 'orders_v2', 'patient_visits_2026']) {
      expect(datasetOutputKey(name).toLowerCase()).toBe(name.replace(/_/g, ''));
    }
  });
});

describe('operatorOutput', () => {
  const secretStack = () => {
    const stack = new Stack(testApp(), 'Outputs');
    return { stack, secret: new Secret(stack, 'Source') };
  };

  test('refuses a value that CloudFormation would resolve to a secret, naming the output', () => {
    const { stack, secret } = secretStack();
    expect(() => operatorOutput(stack, 'Leaked', secret.secretValue.unsafeUnwrap(), 'no'))
      .toThrow(/Output Leaked would hold a secret value; output the secret's ARN instead/);
    expect(() => operatorOutput(stack, 'Field', secret.secretValueFromJson('clientSecret').unsafeUnwrap(), 'no')).toThrow(/Output Field/);
    expect(() => operatorOutput(stack, 'Password', SecretValue.ssmSecure('/db/password').unsafeUnwrap(), 'no')).toThrow(/Output Password/);
    expect(Template.fromStack(stack).toJSON().Outputs).toBeUndefined();
  });

  test("keeps the secret's ARN, without an export", () => {
    const { stack, secret } = secretStack();
    operatorOutput(stack, 'SourceSecretArn', secret.secretArn, 'Store the credential here');
    expect(Template.fromStack(stack).toJSON().Outputs).toEqual({
      SourceSecretArn: { Value: { Ref: stack.getLogicalId(secret.node.defaultChild as never) }, Description: 'Store the credential here' },
    });
  });
});
