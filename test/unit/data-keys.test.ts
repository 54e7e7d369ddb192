import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Classification } from '../../lib/classification';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { testStack } from '../helpers/app';

function keyPolicyStatements(template: Template, aliasRole: string): Array<Record<string, unknown>> {
  const aliases = template.findResources('AWS::KMS::Alias', { Properties: { AliasName: `alias/secure-data-pipeline/TestStack/Keys/${aliasRole}` } });
  const keyId = (Object.values(aliases)[0] as { Properties: { TargetKeyId: { 'Fn::GetAtt': string[] } } }).Properties.TargetKeyId['Fn::GetAtt'][0]!;
  return template.toJSON().Resources[keyId].Properties.KeyPolicy.Statement;
}

describe('DataKeys', () => {
  const stack = testStack();
  const keys = new DataKeys(stack, 'Keys');
  const template = Template.fromStack(stack);

  test('one rotating CMK per classification plus an audit key, rotation period from the table', () => {
    template.resourceCountIs('AWS::KMS::Key', 4);
    for (const [role, days] of [['public', 365], ['internal', 180], ['restricted', 90], ['audit', 90]] as const) {
      const aliases = template.findResources('AWS::KMS::Alias', { Properties: { AliasName: `alias/secure-data-pipeline/TestStack/Keys/${role}` } });
      const keyId = (Object.values(aliases)[0] as { Properties: { TargetKeyId: { 'Fn::GetAtt': string[] } } }).Properties.TargetKeyId['Fn::GetAtt'][0]!;
      expect(template.toJSON().Resources[keyId].Properties).toMatchObject({ EnableKeyRotation: true, RotationPeriodInDays: days, PendingWindowInDays: 30 });
      expect(template.toJSON().Resources[keyId]).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('keyFor follows the classification', () => {
    expect(keys.keyFor(Classification.PUBLIC)).toBe(keys.public);
    expect(keys.keyFor(Classification.INTERNAL)).toBe(keys.internal);
    expect(keys.keyFor(Classification.RESTRICTED)).toBe(keys.restricted);
    expect(new Set([keys.public, keys.internal, keys.restricted, keys.audit]).size).toBe(4);
  });

  test('each key is tagged with the classification it protects', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: 'Encrypts Restricted data stores, topics and secrets',
      Tags: Match.arrayWith([{ Key: 'data-classification', Value: 'Restricted' }]),
    });
  });

  test('the audit key admits log services only for this account, with source or encryption-context conditions', () => {
    const statements = keyPolicyStatements(template, 'audit');
    const services = statements.filter((s) => (s.Principal as { Service?: unknown }).Service);
    expect(services.map((s) => s.Sid).sort()).toEqual([
      'AlarmsPublishToEncryptedTopics',
      'CloudTrailDescribesKey',
      'CloudTrailEncryptsTrailsOfThisAccount',
      'CloudWatchLogsEncryptsLogGroupsOfThisAccount',
      'EventBridgePublishesToEncryptedTopics',
      'LogDeliveryWritesVendedLogs',
      'S3NotifiesEncryptedQueues',
    ]);
    for (const s of services) {
      const conditions = JSON.stringify(s.Condition);
      expect(conditions).toMatch(/aws:SourceArn|kms:EncryptionContext/);
      expect(conditions).toContain('AWS::AccountId');
    }
    const logs = services.find((s) => s.Sid === 'CloudWatchLogsEncryptsLogGroupsOfThisAccount')!;
    expect(JSON.stringify(logs.Condition)).toContain('kms:EncryptionContext:aws:logs:arn');
  });

  test('data keys admit no service principal: access goes through IAM only', () => {
    for (const role of ['public', 'internal', 'restricted']) {
      const statements = keyPolicyStatements(template, role);
      expect(statements.filter((s) => (s.Principal as { Service?: unknown }).Service)).toEqual([]);
    }
  });

  test('existing keys are used as they are', () => {
    const s = testStack();
    const mine = Key.fromKeyArn(s, 'Mine', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const k = new DataKeys(s, 'Keys', { existingKeys: { restricted: mine } });
    expect(k.restricted).toBe(mine);
    Template.fromStack(s).resourceCountIs('AWS::KMS::Key', 3);
  });

  test('aliases are unique per construct path (they are account-wide); an explicit prefix is used as given', () => {
    const s = testStack();
    new DataKeys(s, 'A');
    new DataKeys(s, 'B', { aliasPrefix: 'team-x/pipeline' });
    const names = Object.values(Template.fromStack(s).findResources('AWS::KMS::Alias')).map((a) => a.Properties.AliasName as string);
    expect(names).toContain('alias/secure-data-pipeline/TestStack/A/restricted');
    expect(names).toContain('alias/team-x/pipeline/restricted');
    expect(new Set(names).size).toBe(names.length);
  });

  test('insecure or invalid props are refused with every problem named', () => {
    expect(() => new DataKeys(testStack(), 'K', { aliasPrefix: 'aws/x', pendingWindowDays: 3 }))
      .toThrow(/aliasPrefix[\s\S]*pendingWindowDays/);
    expect(() => new DataKeys(testStack(), 'K', { removalPolicy: RemovalPolicy.DESTROY })).toThrow(/removalPolicy: DESTROY would delete stored data/);
  });

  test('DESTROY only with profile=dev and destroyData=true', () => {
    const dev = testStack({ profile: 'dev', destroyData: 'true' });
    new DataKeys(dev, 'Keys');
    expect(Object.values(Template.fromStack(dev).findResources('AWS::KMS::Key')).every((k) => k.DeletionPolicy === 'Delete')).toBe(true);
    const prod = testStack({ profile: 'prod', destroyData: 'true' });
    new DataKeys(prod, 'Keys');
    expect(Object.values(Template.fromStack(prod).findResources('AWS::KMS::Key')).every((k) => k.DeletionPolicy === 'RetainExceptOnCreate')).toBe(true);
    expect(Stack.of(prod).node.tryGetContext('destroyData')).toBe('true');
  });

  test('removal policies CloudFormation does not support on a key are refused before the deploy', () => {
    // SNAPSHOT synthesized to DeletionPolicy: Snapshot on AWS::KMS::Key, which CloudFormation rejects at deploy.
    expect(() => new DataKeys(testStack(), 'K', { removalPolicy: RemovalPolicy.SNAPSHOT }))
      .toThrow(/removalPolicy: SNAPSHOT is not a deletion policy CloudFormation supports on AWS::KMS::Key/);
    expect(() => new DataKeys(testStack(), 'K', { removalPolicy: 'keep' as unknown as RemovalPolicy }))
      .toThrow(/removalPolicy: "keep" is not a RemovalPolicy/);
    // Plain RETAIN would keep keys created by a failed first deploy: refused, pointing at RETAIN_ON_UPDATE_OR_DELETE.
    expect(() => new DataKeys(testStack(), 'K', { removalPolicy: RemovalPolicy.RETAIN }))
      .toThrow(/1 problem[\s\S]*removalPolicy: RETAIN keeps the resource even when the deploy that created it fails[\s\S]*RETAIN_ON_UPDATE_OR_DELETE/);
    const retained = testStack();
    new DataKeys(retained, 'Keys', { removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE });
    expect(Object.values(Template.fromStack(retained).findResources('AWS::KMS::Key')).every((k) => k.DeletionPolicy === 'RetainExceptOnCreate')).toBe(true);
  });

  test('careless existing keys and prefixes from JavaScript callers are named', () => {
    expect(() => new DataKeys(testStack(), 'K', { existingKeys: { restricted: 'arn:aws:kms:eu-west-1:111111111111:key/x' as never, secret: undefined } as never }))
      .toThrow(/2 problems[\s\S]*existingKeys\.restricted: "arn:aws:kms[^"]*" is not a KMS key[\s\S]*existingKeys\.secret: is not a key role/);
    expect(() => new DataKeys(testStack(), 'K', { aliasPrefix: 42 as never })).toThrow(/aliasPrefix: 42 is not a valid alias prefix/);
  });
});

