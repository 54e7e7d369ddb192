import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { resolveProfile } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { ApiCredential, ApiCredentialProps, UNSET_CLIENT_ID } from '../../lib/constructs/secrets/api-credential';
import { parseBearerCredential, parseClientCredentials } from '../../lambda/ingest/credential';
import { isPlaceholderCredential, parseApiCredential } from '../../lambda/rotate-api-credential/secret-value';
import { testStack } from '../helpers/app';

function build(extra: Partial<ApiCredentialProps> = {}) {
  const stack = testStack();
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, egress: true });
  const cred = new ApiCredential(stack, 'Cred', {
    keys, network, profile: resolveProfile('dev'), tokenUrl: 'https://auth.example.com/token', probeUrl: 'https://api.example.com/ping', ...extra,
  });
  return { stack, keys, cred };
}

describe('ApiCredential', () => {
  const { stack, keys, cred } = build({ scope: 'orders.read' });
  const consumer = new Role(stack, 'Consumer', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  cred.grantRead(consumer);
  const template = Template.fromStack(stack);
  const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
  const secretRef = { Ref: id(cred.secret) };

  test('secret under the Restricted CMK holds no real credential: placeholders until put-secret-value', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: { 'Fn::GetAtt': [id(keys.restricted), 'Arn'] },
      GenerateSecretString: {
        SecretStringTemplate: Match.serializedJson({
          clientId: UNSET_CLIENT_ID, tokenUrl: 'https://auth.example.com/token', probeUrl: 'https://api.example.com/ping', scope: 'orders.read', placeholder: true,
        }),
        GenerateStringKey: 'clientSecret',
        ExcludePunctuation: true,
      },
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
  });

  test('the deployed value is what the rotation and ingest handlers recognise as the placeholder', () => {
    const secret = Object.values(template.findResources('AWS::SecretsManager::Secret'))[0]!;
    const generated = secret.Properties.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string };
    // What Secrets Manager stores: the template plus the generated key.
    const deployed = JSON.stringify({ ...JSON.parse(generated.SecretStringTemplate), [generated.GenerateStringKey]: 'GeneratedStandIn0123' });
    const parsed = parseApiCredential(deployed, 'deployed');
    expect(isPlaceholderCredential(parsed)).toBe(true);
    expect(() => parseBearerCredential(deployed, 'arn:secret')).toThrow(/still holds the placeholder deployed with the stack/);
    expect(() => parseClientCredentials(deployed, 'arn:secret')).toThrow(/still holds the placeholder/);
  });

  test('rotated every 4 hours by its own PipelineFunction in the egress tier, not immediately on deploy', () => {
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: secretRef,
      RotationLambdaARN: { 'Fn::GetAtt': [id(cred.rotationFunction.function), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(4 hours)' },
      RotateImmediatelyOnUpdate: false,
    });
    const fn = template.toJSON().Resources[id(cred.rotationFunction.function)].Properties;
    expect(JSON.stringify(fn.VpcConfig.SubnetIds)).toMatch(/egress/);
    expect(fn.Environment.Variables.PROBE_URL).toBe('https://api.example.com/ping');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'secretsmanager.amazonaws.com', SourceArn: secretRef, SourceAccount: { Ref: 'AWS::AccountId' },
    });
  });

  test('the rotation role may rotate this secret only; consumers may only read it; KMS only through Secrets Manager', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const rotation = policies.find((st) => JSON.stringify(st).includes('secretsmanager:PutSecretValue'))!;
    expect(rotation).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'], Resource: secretRef }),
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } } }),
    ]));
    expect(JSON.stringify(policies)).not.toContain('GetRandomPassword');
    const reader = Object.values(template.findResources('AWS::IAM::Policy')).map((p) => p.Properties.PolicyDocument.Statement);
    expect(JSON.stringify(reader)).toContain('secretsmanager:GetSecretValue');
    expect(JSON.stringify(reader)).not.toContain('PutSecretValue');
  });

  test('plaintext credentials and insecure URLs are refused together', () => {
    expect(() => build({ clientSecret: 's3cr3t', clientId: 'abc', tokenUrl: 'http://auth.example.com/token', probeUrl: 'https://u:p@api.example.com', rotateEvery: Duration.hours(1) }))
      .toThrow(/5 problems[\s\S]*clientId: a credential value in props[\s\S]*clientSecret[\s\S]*tokenUrl: uses http[\s\S]*probeUrl: contains credentials[\s\S]*rotateEvery/);
  });

  test('needs an egress tier to reach the token endpoint', () => {
    const stack2 = testStack();
    const keys2 = new DataKeys(stack2, 'Keys');
    const network = new SecureNetwork(stack2, 'Net', { logKey: keys2.audit, flowLogRetentionDays: 90 });
    expect(() => new ApiCredential(stack2, 'Cred', { keys: keys2, network, profile: resolveProfile('dev'), tokenUrl: 'https://a.example.com/t', probeUrl: 'https://a.example.com/p' }))
      .toThrow(/internetAccess: the network has no egress tier/);
  });
});
