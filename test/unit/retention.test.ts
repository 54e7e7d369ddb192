/**
 * What the whole blueprint template does with stored data when the stack is deleted or a resource replaced: every
 * stateful resource is retained unless the app opted in twice (-c profile=dev -c destroyData=true), and then all of
 * them are deleted; the tokenization key cannot be deleted by anyone while the deny stands.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { SecurePipeline } from '../../lib/constructs/pipeline/secure-pipeline';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp } from '../helpers/app';
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
