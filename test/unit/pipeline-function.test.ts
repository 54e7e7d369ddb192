import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Port, SecurityGroup, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { Classification } from '../../lib/classification';
import { listAcknowledgements } from '../../lib/compliance';
import { resolveProfile } from '../../lib/config';
import { PipelineFunction, PipelineFunctionProps } from '../../lib/constructs/compute/pipeline-function';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { testApp, testStack } from '../helpers/app';

const ENTRY = 'lambda/rotate-api-credential/index.ts';
const BUILT_IN = { builtInHandler: 'rotate-api-credential' } as const;

const PREFIX_LIST = 'pl-6da54004';

function build(extra: Partial<PipelineFunctionProps> = {}, egress = false, stack: Stack = testStack(), s3PrefixListId: string | null = PREFIX_LIST) {
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, egress, ...(s3PrefixListId ? { s3PrefixListId } : {}) });
  const fn = new PipelineFunction(stack, 'Fn', {
    ...BUILT_IN, classification: Classification.RESTRICTED, network, keys, profile: resolveProfile('dev'), ...extra,
  });
  return { stack, keys, network, fn };
}

describe('PipelineFunction', () => {
  const { stack, keys, fn, network } = build({ environment: { TABLE_NAME: 'x', API_CREDENTIAL_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:a' } });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

  test('latest Node LTS on arm64, traced, reserving no concurrency by default, environment under the classification key', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      ReservedConcurrentExecutions: Match.absent(),
      MemorySize: 256,
      Timeout: 30,
      KmsKeyArn: { 'Fn::GetAtt': [id(keys.restricted as never), 'Arn'] },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', TABLE_NAME: 'x' }) },
      LoggingConfig: { LogGroup: { Ref: id(fn.logGroup as never) } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [id(fn.deadLetterQueue), 'Arn'] } },
    });
  });

  test('in the isolated compute subnets: its own group has no egress; the shared groups reach the endpoints and S3 only', () => {
    const props = template.toJSON().Resources[id(fn.function)].Properties;
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toMatch(/compute/);
    expect(props.VpcConfig.SecurityGroupIds).toEqual([fn.securityGroup, network.awsApiClientSecurityGroup!, network.s3ClientSecurityGroup!]
      .map((g) => ({ 'Fn::GetAtt': [id(g), 'GroupId'] })));
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^TestStack/Fn: no egress of its own; other ports only by grants'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', IpProtocol: 'icmp', FromPort: 252, ToPort: 86 })],
      Tags: Match.arrayWith([{ Key: 'secure-data-pipeline:network-tier', Value: 'isolated' }]),
    });
    // Nothing in the template reaches the internet: no 0.0.0.0/0 or ::/0 in any rule.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/"CidrIp(v6)?":"(0\.0\.0\.0\/0|::\/0)"/);
    const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
    expect(egress).toEqual(expect.arrayContaining([
      expect.objectContaining({ GroupId: { 'Fn::GetAtt': [id(network.awsApiClientSecurityGroup!), 'GroupId'] }, FromPort: 443, ToPort: 443,
        DestinationSecurityGroupId: { 'Fn::GetAtt': [id(network.endpointSecurityGroup!), 'GroupId'] } }),
      expect.objectContaining({ GroupId: { 'Fn::GetAtt': [id(network.s3ClientSecurityGroup!), 'GroupId'] }, FromPort: 443, ToPort: 443,
        DestinationPrefixListId: PREFIX_LIST }),
    ]));
    expect(egress).toHaveLength(2);
  });

  test('created after the shared groups\' rules and the endpoints, so a custom resource it backs can answer on its first run', () => {
    const resources = template.toJSON().Resources;
    const barriers: string[] = resources[id(fn.function)].DependsOn.filter((d: string) => resources[d].Type === 'AWS::CloudFormation::WaitConditionHandle');
    expect(barriers).toHaveLength(2);
    // Through two no-op resources, so DependsOn does not grow with every endpoint in every function.
    const behind = barriers.flatMap((b) => resources[b].DependsOn as string[]);
    for (const rule of Object.keys(template.findResources('AWS::EC2::SecurityGroupEgress'))) expect(behind).toContain(rule);
    for (const rule of Object.keys(template.findResources('AWS::EC2::SecurityGroupIngress'))) expect(behind).toContain(rule);
    for (const endpoint of Object.keys(template.findResources('AWS::EC2::VPCEndpoint'))) expect(behind).toContain(endpoint);
  });

  test('grants open ports on its own group only, never on the groups every function shares', () => {
    const s = build().stack;
    const f = s.node.findChild('Fn') as PipelineFunction;
    const net = s.node.findChild('Net') as SecureNetwork;
    const database = new SecurityGroup(s, 'Db', { vpc: net.vpc, allowAllOutbound: false });
    database.connections.allowFrom(f, Port.tcp(5432));
    const t = Template.fromStack(s);
    const lid = (c: unknown) => s.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);
    const toDb = Object.values(t.findResources('AWS::EC2::SecurityGroupEgress')).filter((r) => r.Properties.FromPort === 5432);
    expect(toDb.map((r) => r.Properties.GroupId)).toEqual([{ 'Fn::GetAtt': [lid(f.securityGroup), 'GroupId'] }]);
    const intoDb = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).filter((r) => r.Properties.FromPort === 5432);
    expect(intoDb.map((r) => r.Properties.SourceSecurityGroupId)).toEqual([{ 'Fn::GetAtt': [lid(f.securityGroup), 'GroupId'] }]);
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
    new PipelineFunction(s, 'Second', { ...BUILT_IN, classification: Classification.PUBLIC, network, keys: k, profile: resolveProfile('dev') });
    Template.fromStack(s).resourcePropertiesCountIs('AWS::IAM::ManagedPolicy', { Description: Match.stringLikeRegexp('^VPC network interfaces') }, 1);
  });

  test('internetAccess puts it in the egress tier: 443 to anywhere (NAT, DNS firewall), tagged egress', () => {
    const built = build({ internetAccess: true }, true);
    const t = Template.fromStack(built.stack);
    const props = t.toJSON().Resources[built.stack.getLogicalId(built.fn.function.node.defaultChild as never)].Properties;
    expect(JSON.stringify(props.VpcConfig.SubnetIds)).toMatch(/egress/);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^TestStack/Fn: HTTPS to the internet'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
      Tags: Match.arrayWith([{ Key: 'secure-data-pipeline:network-tier', Value: 'egress' }]),
    });
  });

  test('an isolated function needs S3 (data or its CloudFormation answer): refused when the network knows no prefix list, naming both fixes', () => {
    expect(() => build({}, false, testStack(), null))
      .toThrow(/network: knows no S3 prefix list[\s\S]*Fix: create SecureNetwork with egress: true plus keys and profile[\s\S]*or pass s3PrefixListId/);
    // The egress tier reaches S3 through its own 443 rule and the gateway route.
    expect(() => build({ internetAccess: true }, true, testStack(), null)).not.toThrow();
  });

  test('in an existing VPC without its endpoint group, refused: the function could reach no AWS API', () => {
    const s = testStack();
    const keys = new DataKeys(s, 'Keys');
    const vpc = new Vpc(s, 'Mine', { maxAzs: 2, restrictDefaultSecurityGroup: false, subnetConfiguration: [
      { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED }, { name: 'compute', subnetType: SubnetType.PRIVATE_ISOLATED }] });
    const network = new SecureNetwork(s, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc: vpc, s3PrefixListId: PREFIX_LIST });
    expect(() => new PipelineFunction(s, 'Fn', { ...BUILT_IN, classification: Classification.PUBLIC, network, keys, profile: resolveProfile('dev') }))
      .toThrow(/network: has no interface-endpoint security group[\s\S]*Fix: pass existingEndpointSecurityGroup/);
  });

  test('refuses secret values in the environment, internet access without egress, and no concurrency', () => {
    expect(() => build({ environment: { DB_PASSWORD: 'hunter2hunter2', KEY: 'AKIAABCDEFGHIJKLMNOP' }, internetAccess: true, reservedConcurrency: 0 }))
      .toThrow(/3 problems[\s\S]*environment\.DB_PASSWORD, environment\.KEY: looks like a secret value[\s\S]*internetAccess: the network has no egress tier[\s\S]*reservedConcurrency/);
    const { fn: f } = build();
    expect(() => f.addEnvironment('API_TOKEN', 'abc123')).toThrow(/environment\.API_TOKEN: looks like a secret value/);
  });

  describe('concurrency', () => {
    const reserved = (f: PipelineFunction) => Template.fromStack(Stack.of(f)).toJSON().Resources[Stack.of(f).getLogicalId(f.function.node.defaultChild as never)]
      .Properties.ReservedConcurrentExecutions;
    const acknowledged = (f: PipelineFunction) => listAcknowledgements(f).map((a) => `${a.id}: ${a.reason}`);

    test('reserves only when asked: by the prop, or by the profile\'s reservedConcurrency (the prop wins)', () => {
      expect(reserved(build().fn)).toBeUndefined();
      expect(reserved(build({ reservedConcurrency: 3 }).fn)).toBe(3);
      const overridden = resolveProfile('prod', { reservedConcurrency: 4 });
      expect(reserved(build({ profile: overridden }).fn)).toBe(4);
      expect(reserved(build({ profile: overridden, reservedConcurrency: 2 }).fn)).toBe(2);
      expect(build({ profile: overridden }).fn.reservedConcurrency).toBe(4);
    });

    test('an unreserved function acknowledges the HIPAA and NIST LambdaConcurrency findings naming its bound, on its own resource', () => {
      const { fn: f } = build({ concurrencyBound: { by: 'sqs', maxConcurrency: 7 } });
      expect(acknowledged(f)).toEqual([
        expect.stringMatching(/^HIPAA\.Security::HIPAA\.Security-LambdaConcurrency: Bounded by the SQS event source mapping's maximum concurrency of 7; a reservation would take from the account's unreserved pool/),
        expect.stringMatching(/^NIST\.800\.53\.R5::NIST\.800\.53\.R5-LambdaConcurrency: Bounded by the SQS/),
      ]);
      expect(listAcknowledgements(f).map((a) => a.path)).toEqual([`${f.function.node.path}/Resource`, `${f.function.node.path}/Resource`]);
      expect(acknowledged(build({ concurrencyBound: { by: 'kafka', partitions: 6, maxPollers: 4 } }).fn)[0])
        .toMatch(/each of the topic's 6 partitions sequentially \(at most 6 invocations at once\) with at most 4 provisioned pollers/);
      expect(acknowledged(build({ concurrencyBound: { by: 'schedule', expression: 'rate(15 minutes)' } }).fn)[0]).toMatch(/EventBridge schedule rate\(15 minutes\)/);
      expect(acknowledged(build({ concurrencyBound: { by: 'custom-resource' } }).fn)[0]).toMatch(/only by CloudFormation during deploys/);
      expect(acknowledged(build({ concurrencyBound: { by: 'secret-rotation' } }).fn)[0]).toMatch(/only by Secrets Manager rotating one secret/);
    });

    test('nothing is acknowledged when the function reserves, or declares no bound (the packs then report it)', () => {
      expect(acknowledged(build({ concurrencyBound: { by: 'custom-resource' }, reservedConcurrency: 1 }).fn)).toEqual([]);
      expect(acknowledged(build().fn)).toEqual([]);
    });

    test('a careless bound is refused naming the field and the fix', () => {
      expect(() => build({ concurrencyBound: { by: 'sqs', maxConcurrency: 1 } }))
        .toThrow(/concurrencyBound\.maxConcurrency: 1 is not a whole number from 2 to 1000/);
      expect(() => build({ concurrencyBound: { by: 'queue' } as never })).toThrow(/concurrencyBound\.by: "queue" is not one of the accepted values/);
      expect(() => build({ concurrencyBound: { by: 'kafka', partitions: 3 } as never })).toThrow(/concurrencyBound\.maxPollers: is missing/);
      expect(() => build({ concurrencyBound: { by: 'schedule', expression: '' } })).toThrow(/concurrencyBound\.expression: is not a schedule expression/);
      expect(() => build({ concurrencyBound: 'sqs' as never })).toThrow(/concurrencyBound: is not an object/);
    });
  });

  test('bundles locally with esbuild, never Docker: minified, source map, AWS SDK external', () => {
    const app = testApp({ 'aws:cdk:bundling-stacks': ['**'] });
    const previous = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/bin/false'; // any attempt to use Docker fails the synth
    try {
      const s = new Stack(app, 'Bundled');
      build({ builtInHandler: undefined, entry: ENTRY }, false, s);
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
