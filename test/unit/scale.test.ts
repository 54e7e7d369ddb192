/**
 * Many datasets: a dataset with a `group` deploys its own resources (credential, topics, ingest and store stages,
 * alarms, outputs) in the group's nested stack, so the main stack does not grow with the number of datasets. Without
 * groups the main stack holds them, as before (the 3-dataset example's logical ids do not change: see
 * test/snapshot/stateful-logical-ids.test.ts). Past CloudFormation's quotas (with headroom) synth fails naming the
 * limit and the fix. The packs over 1 to 100 datasets: test/nag/scale.nag.test.ts.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadDatasetsConfig, resolveProfile, validateDatasetsConfig } from '../../lib/config';
import { templateCounts, TEMPLATE_HEADROOM } from '../../lib/constructs/pipeline/stack-limits';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { EXAMPLE_DATASETS, testApp } from '../helpers/app';
import { generatedDatasets } from '../helpers/generated-datasets';
import { rawDatasets } from '../../bench/datasets';

function withGroup(group: string, names: readonly string[]) {
  const example = loadDatasetsConfig(EXAMPLE_DATASETS);
  return validateDatasetsConfig({ datasets: example.datasets.map((d) => (names.includes(d.name) ? { ...d, group } : d)) });
}

describe('a dataset group', () => {
  const app = testApp();
  const stack = new SecurePipelineStack(app, 'Grouped', { profile: resolveProfile('dev'), datasets: withGroup('shop', ['customer_orders']) });
  const { pipeline } = stack;
  const nested = pipeline.groups.get('shop')!;
  const parent = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>; Outputs: Record<string, unknown> };
  const child = Template.fromStack(nested).toJSON() as typeof parent;
  const topics = (t: typeof parent) => Object.values(t.Resources).filter((r) => r.Type === 'AWS::MSK::Topic').map((r) => r.Properties.TopicName).sort();

  test("holds the dataset's own resources in its nested stack; the others stay in the main stack", () => {
    expect(NestedStack.isNestedStack(nested)).toBe(true);
    for (const part of [pipeline.ingest.get('customer_orders')!, pipeline.store.get('customer_orders')!, pipeline.credentials.get('customer_orders')!]) {
      expect(Stack.of(part)).toBe(nested);
    }
    expect(Stack.of(pipeline.ingest.get('patient_visits')!)).toBe(stack);
    expect(topics(child)).toEqual(['customer_orders.clean', 'customer_orders.dlq']);
    expect(topics(parent)).toEqual(['patient_visits.clean', 'patient_visits.dlq', 'weather_observations.clean', 'weather_observations.dlq']);
    expect(Object.values(parent.Resources).filter((r) => r.Type === 'AWS::CloudFormation::Stack')).toHaveLength(1);
    expect(Object.keys(parent.Resources).filter((id) => id.startsWith('PipelineCustomerOrders'))).toEqual([]);
    expect(Object.keys(child.Resources).filter((id) => id.startsWith('CustomerOrders')).length).toBeGreaterThan(20);
  });

  test('still least privilege per dataset: its store reads its own topic, as its own group, and nothing else', () => {
    const policies = Object.entries(child.Resources).filter(([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && id.startsWith('CustomerOrdersStore'));
    const statements = JSON.stringify(policies.map(([, r]) => r.Properties.PolicyDocument));
    expect(statements).toContain('customer_orders.clean');
    expect(statements).toContain('customer_orders.store');
    expect(statements).not.toMatch(/patient_visits|weather_observations|customer_orders\.dlq/);
  });

  test('the app synthesizes again (forced) without acknowledging a grouped grant twice', () => {
    expect(() => app.synth({ force: true })).not.toThrow();
    expect(Template.fromStack(nested).toJSON()).toEqual(child);
  });

  test("its outputs are in its nested stack, and the main stack names the group's stack", () => {
    expect(Object.keys(child.Outputs)).toEqual(expect.arrayContaining(['CustomerOrdersCredentialSecretArn', 'CustomerOrdersIngestFunctionName']));
    expect(Object.keys(parent.Outputs)).not.toContain('CustomerOrdersCredentialSecretArn');
    expect(parent.Outputs).toHaveProperty('DatasetsShopStackArn');
    expect(Object.keys(parent.Outputs)).toEqual(expect.arrayContaining(['PatientVisitsCredentialSecretArn', 'WeatherObservationsIngestFunctionName']));
  });
});

describe('CloudFormation quotas, checked at synth', () => {
  function synthError(datasets: ReturnType<typeof generatedDatasets>): string {
    const app = new App({ outdir: testApp().outdir });
    new SecurePipelineStack(app, 'Big', { profile: resolveProfile('dev'), datasets });
    try {
      app.synth();
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('synthesized');
  }

  test('too many datasets without groups: the main stack is refused naming the quota and the fix', () => {
    const message = synthError(generatedDatasets(20, 0));
    expect(message).toMatch(/Big would hold \d{3} resources: CloudFormation allows 500 per template and this project keeps 10% of that free \(at most 450\)/);
    expect(message).toMatch(/Fix: give datasets a "group" in the datasets config \(20 of 20 have none\)/);
    expect(message).not.toMatch(/TooManyResourcesInStack/);
  });

  test('too many datasets in one group: that group is refused, naming it', () => {
    const message = synthError(generatedDatasets(20, 20));
    expect(message).toMatch(/DatasetsGroup00 would hold \d{3} resources/);
    expect(message).toMatch(/group "group_00" has 20 datasets: move some of them into another group/);
  });

  test('14 datasets, every one with source auth, fit one group within the checked quota', () => {
    const raw = rawDatasets(14, 14);
    raw.datasets.forEach((d, i) => { d.source = { ...(d.source as object), auth: { tokenUrl: `https://auth${i}.example.com/oauth/token` } }; });
    const stack = new SecurePipelineStack(testApp(), 'Fourteen', { profile: resolveProfile('dev'), datasets: validateDatasetsConfig(raw) });
    const group = stack.pipeline.groups.get('group_00')!;
    expect(templateCounts(group).resources).toBeLessThanOrEqual(500 * TEMPLATE_HEADROOM);
    expect(templateCounts(group).resources).toBeGreaterThan(14 * 28);
  });

  test('group names that collide once "_" is dropped are refused', () => {
    const config = generatedDatasets(2, 0);
    expect(() => validateDatasetsConfig({ datasets: [{ ...config.datasets[0], group: 'team_a' }, { ...config.datasets[1], group: 'teama' }] }))
      .toThrow(/group: "teama" differs from group "team_a" only by "_"/);
    expect(() => validateDatasetsConfig({ datasets: [{ ...config.datasets[0], group: 'Team A' }] })).toThrow(/group: must be lower_snake_case/);
  });

  test('the counts the check uses are those of the synthesized templates', () => {
    const app = testApp();
    const stack = new SecurePipelineStack(app, 'Counted', { profile: resolveProfile('dev'), datasets: generatedDatasets(4, 2) });
    const assembly = app.synth();
    for (const s of [stack, ...stack.pipeline.groups.values()]) {
      const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, s.templateFile), 'utf8'));
      const counts = templateCounts(s);
      expect([s.node.path, counts.resources, counts.outputs, counts.parameters])
        .toEqual([s.node.path, Object.keys(template.Resources).length, Object.keys(template.Outputs ?? {}).length, Object.keys(template.Parameters ?? {}).length]);
      expect(counts.resources).toBeLessThanOrEqual(500 * TEMPLATE_HEADROOM);
    }
  });
});
