/**
 * The Lambda stages as the blueprint synthesizes them (dev profile, example datasets): one synth for the file,
 * assertions on the template.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipelineStack, testApp } from '../helpers/app';

const stack = buildPipelineStack(testApp());
const { pipeline } = stack;
const template = Template.fromStack(stack);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, Json>; DependsOn?: string[] }>;
const id = (c: unknown) => stack.getLogicalId((c as { node: { defaultChild: never } }).node.defaultChild);

describe('custom resources', () => {
  test('each has a ServiceTimeout of its function timeout plus one minute, far below the default hour', () => {
    // Ours are served by PipelineFunctions (CDK's own default-security-group resource belongs to the network).
    const ours = new Set(pipeline.functions.map((f) => id(f.function)));
    const custom = Object.values(resources).filter((r) => r.Type.startsWith('Custom::')
      && ours.has((r.Properties.ServiceToken as { 'Fn::GetAtt'?: [string] })['Fn::GetAtt']?.[0] ?? ''));
    expect(custom.map((r) => r.Type).sort()).toEqual(['Custom::MskBootstrapBrokers', 'Custom::PipelineSchema']);
    for (const resource of custom) {
      const fnId = (resource.Properties.ServiceToken as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const timeout = resources[fnId]!.Properties.Timeout as number;
      // CDK renders it as a string, as every custom-resource property.
      expect(resource.Properties.ServiceTimeout).toBe(String(timeout + 60));
    }
    template.hasResourceProperties('Custom::PipelineSchema', { ServiceTimeout: '360' });
    template.hasResourceProperties('Custom::MskBootstrapBrokers', { ServiceTimeout: '90' });
  });
});
