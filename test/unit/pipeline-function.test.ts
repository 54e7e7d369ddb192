import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Classification } from '../../lib/classification';
import { resolveProfile } from '../../lib/config';
import { PipelineFunction, PipelineFunctionProps } from '../../lib/constructs/compute/pipeline-function';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { testApp, testStack } from '../helpers/app';

const ENTRY = 'lambda/rotate-api-credential/index.ts';

function build(extra: Partial<PipelineFunctionProps> = {}, egress = false, stack: Stack = testStack()) {
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, egress });
  const fn = new PipelineFunction(stack, 'Fn', {
    entry: ENTRY, classification: Classification.RESTRICTED, network, keys, profile: resolveProfile('dev'), ...extra,
  });
  return { stack, keys, network, fn };
}

describe('PipelineFunction', () => {
  const { stack, keys, fn } = build({ environment: { TABLE_NAME: 'x', API_CREDENTIAL_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:a' } });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

  test('latest Node LTS on arm64, traced, bounded, environment under the classification key', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: 5,
      MemorySize: 256,
      Timeout: 30,
      KmsKeyArn: { 'Fn::GetAtt': [id(keys.restricted as never), 'Arn'] },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', TABLE_NAME: 'x' }) },
      LoggingConfig: { LogGroup: { Ref: id(fn.logGroup as never) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [id(fn.deadLetterQueue), 'Arn'] } },
    });
  });

  test('in the isolated compute subnets with its own SG that only allows HTTPS out', () => {
    const props = template.toJSON().Resources[id(fn.function)].Properties;
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toMatch(/compute/);
    expect(props.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [id(fn.securityGroup), 'GroupId'] }]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^TestStack/Fn: HTTPS to endpoints; other ports only by grants'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
    });
  });

  test('explicit log group under the audit key with the classification retention; KMS dead-letter queue', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731, KmsKeyId: { 'Fn::GetAtt': [id(keys.audit as never), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id(keys.restricted as never), 'Arn'] },
      MessageRetentionPeriod: 1209600,
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
  });

  test('least privilege: no inline policies, no AWS-managed policies, wildcards only in the shared base policy', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(JSON.stringify(roles)).not.toContain('arn:aws:iam::aws:policy');
    const policies = Object.entries(template.findResources('AWS::IAM::ManagedPolicy'));
    const withWildcard = policies.filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('"Resource":"*"')).map(([k]) => k);
    expect(withWildcard).toEqual([expect.stringMatching(/^PipelineFunctionBasePolicy/)]);
    const own = policies.find(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes(id(fn.logGroup as never)))![1];
    expect(own.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [id(fn.logGroup as never), 'Arn'] } }),
    ]));
  });

  test('two functions share one base policy', () => {
    const s = build().stack;
    const { network, keys: k } = { network: s.node.findChild('Net') as SecureNetwork, keys: s.node.findChild('Keys') as DataKeys };
    new PipelineFunction(s, 'Second', { entry: ENTRY, classification: Classification.PUBLIC, network, keys: k, profile: resolveProfile('dev') });
    Template.fromStack(s).resourcePropertiesCountIs('AWS::IAM::ManagedPolicy', { Description: Match.stringLikeRegexp('^VPC network interfaces') }, 1);
  });

  test('internetAccess puts it in the egress tier', () => {
    const built = build({ internetAccess: true }, true);
    const t = Template.fromStack(built.stack);
    const props = t.toJSON().Resources[built.stack.getLogicalId(built.fn.function.node.defaultChild as never)].Properties;
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toMatch(/egress/);
  });

  test('refuses secret values in the environment, internet access without egress, and no concurrency', () => {
    expect(() => build({ environment: { DB_PASSWORD: 'hunter2hunter2', KEY: 'AKIAABCDEFGHIJKLMNOP' }, internetAccess: true, reservedConcurrency: 0 }))
      .toThrow(/3 problems[\s\S]*environment\.DB_PASSWORD, environment\.KEY: looks like a secret value[\s\S]*internetAccess: the network has no egress tier[\s\S]*reservedConcurrency/);
    const { fn: f } = build();
    expect(() => f.addEnvironment('API_TOKEN', 'abc123')).toThrow(/environment\.API_TOKEN: looks like a secret value/);
  });

  test('bundles locally with esbuild, never Docker: minified, source map, AWS SDK external', () => {
    const app = testApp({ 'aws:cdk:bundling-stacks': ['**'] });
    const previous = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/bin/false'; // any attempt to use Docker fails the synth
    try {
      const s = new Stack(app, 'Bundled');
      build({}, false, s);
      const assembly = app.synth();
      const assetDirs = fs.readdirSync(assembly.directory).filter((d) => d.startsWith('asset.'))
        .map((d) => path.join(assembly.directory, d)).filter((d) => fs.existsSync(path.join(d, 'index.js.map')));
      expect(assetDirs).toHaveLength(1);
      const code = fs.readFileSync(path.join(assetDirs[0]!, 'index.js'), 'utf8');
      expect(code.split('\n').length).toBeLessThan(20); // minified
      expect(code).toMatch(/require\("@aws-sdk\/client-secrets-manager"\)/); // external, from the runtime
    } finally {
      if (previous === undefined) delete process.env.CDK_DOCKER; else process.env.CDK_DOCKER = previous;
    }
  });
});
