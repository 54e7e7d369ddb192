/**
 * What the whole blueprint template does with stored data when the stack is deleted or a resource replaced: every
 * stateful resource is retained unless the app opted in twice (-c profile=dev -c destroyData=true), and then all of
 * them are deleted; the tokenization key cannot be deleted by anyone while the deny stands.
 */
import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { PHYSICAL_NAME_PROPERTIES } from '../../lib/compliance';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { encryptedLogGroup } from '../../lib/constructs/common/log-group';
import { dataRemovalPolicy } from '../../lib/constructs/common/removal';
import { SecurePipeline } from '../../lib/constructs/pipeline/secure-pipeline';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp, testStack } from '../helpers/app';
import { isDeleted, isRetained, STATEFUL_TYPES, StatefulResource, statefulResources, TemplateResource } from '../helpers/stateful';

/** Every stateful resource of the synthesized stack, named by its construct path (relative to the stack). */
function statefulOf(stack: Stack): StatefulResource[] {
  const paths = new Map(stack.node.findAll().filter(CfnResource.isCfnResource)
    .map((c) => [stack.resolve(c.logicalId) as string, c.node.path.slice(stack.node.path.length + 1)]));
  return statefulResources(Template.fromStack(stack).toJSON() as { Resources: Record<string, TemplateResource> }, (id) => paths.get(id));
}

describe.each(['dev', 'prod'])('the %s blueprint by default', (profile) => {
  const stack = buildPipelineStack(testApp({ profile }), profile);
  const stateful = statefulOf(stack);

  test('holds every stateful type it creates (so the check below is not vacuous)', () => {
    const types = new Set(stateful.map((r) => r.type));
    expect(STATEFUL_TYPES.filter((t) => !types.has(t))).toEqual(['AWS::RDS::DBCluster']);
    expect(stateful.length).toBeGreaterThan(40);
  });

  test('no stateful resource is deleted with the stack or on replacement', () => {
    expect(stateful.filter((r) => !isRetained(r)).map((r) => r.path)).toEqual([]);
  });

  // A retained resource never blocks a retry: a failed first create deletes what it created, and nothing kept from an
  // earlier stack has a name the stack created again would need.
  const resources = Object.entries((Template.fromStack(stack).toJSON() as { Resources: Record<string, TemplateResource> }).Resources);
  const kept = resources.filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete');

  test('every resource kept after stack deletion, of any type, is RetainExceptOnCreate with UpdateReplacePolicy Retain', () => {
    expect(kept.length).toBeGreaterThan(40);
    expect(kept.filter(([, r]) => r.DeletionPolicy !== 'RetainExceptOnCreate' || r.UpdateReplacePolicy !== 'Retain')
      .map(([id, r]) => `${r.Type} ${id}: ${r.DeletionPolicy}/${r.UpdateReplacePolicy}`)).toEqual([]);
  });

  test('no kept resource has a physical name that is fixed: every name set contains the stack id', () => {
    const named = kept.flatMap(([id, r]) => (PHYSICAL_NAME_PROPERTIES[r.Type] ?? [])
      .filter((p) => r.Properties?.[p] !== undefined)
      .map((p) => ({ resource: `${r.Type} ${id}`, property: p, value: JSON.stringify(r.Properties![p]) })));
    // Not vacuous: the MSK cluster, its configuration and its broker log group are named.
    expect(named.map((n) => n.resource)).toEqual(expect.arrayContaining([expect.stringMatching(/^AWS::MSK::Cluster /), expect.stringMatching(/^AWS::MSK::Configuration /)]));
    expect(named.filter((n) => !n.value.includes('{"Ref":"AWS::StackId"}'))).toEqual([]);
  });

  test('the tokenization key, the source credentials, the dead-letter queues and the security topic are among the retained', () => {
    const byPath = (p: RegExp) => stateful.filter((r) => p.test(r.path));
    for (const pattern of [/^Pipeline\/TokenizationKey\//, /Credential\/Secret\//, /DeadLetterQueue\//, /UndeliveredAlerts\//, /Alerts\/Topic\//]) {
      expect({ pattern, found: byPath(pattern).length > 0 }).toEqual({ pattern, found: true });
      expect(byPath(pattern).filter((r) => !isRetained(r))).toEqual([]);
    }
  });

  test('nobody may delete the tokenization key: its resource policy denies secretsmanager:DeleteSecret to every principal', () => {
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      SecretId: { Ref: stack.getLogicalId(stack.pipeline.tokenizationKey!.node.defaultChild as CfnResource) },
      ResourcePolicy: {
        Statement: [{ Sid: 'NobodyDeletesTheTokenizationKey', Effect: 'Deny', Principal: { AWS: '*' }, Action: 'secretsmanager:DeleteSecret', Resource: '*' }],
      },
    });
  });
});

describe('the dev blueprint under the double opt-in (-c profile=dev -c destroyData=true)', () => {
  const stack = buildPipelineStack(testApp({ profile: 'dev', destroyData: 'true' }), 'dev');
  const stateful = statefulOf(stack);

  test('every stateful resource is deleted with the stack', () => {
    expect(stateful.length).toBeGreaterThan(40);
    expect(stateful.filter((r) => !isDeleted(r))).toEqual([]);
  });

  test('the deny on deleting the tokenization key is left out, so the teardown can delete it', () => {
    const key = { Ref: stack.getLogicalId(stack.pipeline.tokenizationKey!.node.defaultChild as CfnResource) };
    const policies = Object.values(Template.fromStack(stack).findResources('AWS::SecretsManager::ResourcePolicy'));
    // The database's master secret (and the deny CDK's hosted rotation put on it) is RDS-managed now: there may be none.
    expect(JSON.stringify(policies)).not.toContain(key.Ref);
    expect(policies.filter((p) => JSON.stringify(p.Properties.SecretId) === JSON.stringify(key))).toEqual([]);
  });
});

describe('a prod pipeline built in code, under -c destroyData=true but without -c profile=prod', () => {
  const app = testApp({ destroyData: 'true' });
  const stack = new Stack(app, 'TeamStack');
  new SecurePipeline(stack, 'Pipeline', { profile: resolveProfile('prod'), datasets: loadDatasetsConfig(EXAMPLE_DATASETS) });
  const stateful = statefulOf(stack);

  test('keeps everything: the prod profile vetoes the context opt-in for the whole pipeline', () => {
    expect(stateful.length).toBeGreaterThan(40);
    expect(stateful.filter((r) => !isRetained(r)).map((r) => r.path)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { DeletionProtection: true });
  });
});

describe('dataRemovalPolicy: what a construct or a caller may ask for', () => {
  test('the default keeps data on deletion and replacement but not after a failed create; the double opt-in destroys', () => {
    expect(dataRemovalPolicy(testStack(), undefined, 'removalPolicy')).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(dataRemovalPolicy(testStack({ profile: 'dev', destroyData: 'true' }), undefined, 'removalPolicy')).toBe(RemovalPolicy.DESTROY);
  });

  test('RETAIN_ON_UPDATE_OR_DELETE asked for is honoured, also under the opt-in; DESTROY only under the opt-in', () => {
    const optedIn = testStack({ profile: 'dev', destroyData: 'true' });
    expect(dataRemovalPolicy(optedIn, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, 'removalPolicy')).toBe(RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE);
    expect(dataRemovalPolicy(optedIn, RemovalPolicy.DESTROY, 'removalPolicy')).toBe(RemovalPolicy.DESTROY);
    expect(() => dataRemovalPolicy(testStack(), RemovalPolicy.DESTROY, 'removalPolicy')).toThrow(/removalPolicy: DESTROY would delete stored data/);
  });

  test('plain RETAIN (outlives a failed first deploy), SNAPSHOT and non-policies are refused naming the prop and the fix', () => {
    expect(() => dataRemovalPolicy(testStack(), RemovalPolicy.RETAIN, 'logs.removalPolicy'))
      .toThrow(/logs\.removalPolicy: RETAIN keeps the resource even when the deploy that created it fails[\s\S]*Fix: .*RETAIN_ON_UPDATE_OR_DELETE/);
    expect(() => dataRemovalPolicy(testStack({ profile: 'dev', destroyData: 'true' }), RemovalPolicy.RETAIN, 'removalPolicy')).toThrow(/RETAIN keeps the resource/);
    expect(() => dataRemovalPolicy(testStack(), RemovalPolicy.SNAPSHOT, 'removalPolicy')).toThrow(/removalPolicy: "snapshot" is not a removal policy for stored data/);
    expect(() => dataRemovalPolicy(testStack(), 'keep' as unknown as RemovalPolicy, 'removalPolicy')).toThrow(/removalPolicy: "keep" is not a removal policy/);
  });

  test('the shared log-group helper passes the refusal on', () => {
    const stack = testStack();
    const key = new Key(stack, 'Key');
    expect(() => encryptedLogGroup(stack, 'Logs', { key, retentionDays: 30, removalPolicy: RemovalPolicy.RETAIN })).toThrow(/removalPolicy: RETAIN keeps/);
    encryptedLogGroup(stack, 'Kept', { key, retentionDays: 30 });
    expect(Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')))
      .toEqual([expect.objectContaining({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' })]);
  });
});
