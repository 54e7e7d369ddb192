/**
 * docs/architecture.md is generated from the synthesized dev template (scripts/diagram.ts): the committed file must
 * equal a fresh generation (this is how CI fails when it is stale), every event source mapping of the template is an
 * edge, every dataset has its nodes, and the output does not depend on the template's resource order.
 */
import * as fs from 'fs';
import { architectureMarkdown, ARCHITECTURE_FILE, mermaidFromTemplate, synthesizeDevTemplate } from '../../scripts/diagram';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, read structurally
type Json = any;

let template: Json;
let diagram: string;

beforeAll(() => {
  template = synthesizeDevTemplate();
  diagram = mermaidFromTemplate(template);
});

function resourcesOfType(type: string): Array<[string, Json]> {
  return Object.entries<Json>(template.Resources).filter(([, r]) => r.Type === type);
}

function nodeIdOf(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '').replace(/^Pipeline/, '');
}

test('docs/architecture.md is the fresh generation (run npm run diagram and commit it when this fails)', () => {
  expect(fs.readFileSync(ARCHITECTURE_FILE, 'utf8')).toBe(architectureMarkdown(template));
});

test('the diagram is a Mermaid flowchart LR without asset hashes', () => {
  expect(diagram.startsWith('flowchart LR\n')).toBe(true);
  expect(diagram).not.toMatch(/[0-9a-f]{64}/);
  expect(fs.readFileSync(ARCHITECTURE_FILE, 'utf8')).toContain('```mermaid\nflowchart LR\n');
});

test('every event source mapping of the template is an edge from its topic or queue to its function', () => {
  const mappings = resourcesOfType('AWS::Lambda::EventSourceMapping');
  expect(mappings.length).toBeGreaterThan(0);
  for (const [, mapping] of mappings) {
    const fn = nodeIdOf(mapping.Properties.FunctionName.Ref);
    const source: string = mapping.Properties.EventSourceArn['Fn::GetAtt'][0];
    const sources = template.Resources[source].Type === 'AWS::MSK::Cluster'
      ? (mapping.Properties.Topics as string[]).map((t) => `Topic_${t.replace(/[^A-Za-z0-9]/g, '_')}`)
      : [nodeIdOf(source)];
    for (const from of sources) expect(diagram).toContain(`  ${from} -->|event source| ${fn}\n`);
  }
});

test('an event source mapping removed from the template removes its edge (the diagram follows the template)', () => {
  const copy = JSON.parse(JSON.stringify(template));
  const [id] = resourcesOfType('AWS::Lambda::EventSourceMapping').find(([, r]) => r.Properties.Topics) as [string, Json];
  const topic: string = copy.Resources[id].Properties.Topics[0];
  delete copy.Resources[id];
  const changed = mermaidFromTemplate(copy);
  expect(changed).not.toContain(`Topic_${topic.replace(/[^A-Za-z0-9]/g, '_')} -->|event source|`);
  expect(architectureMarkdown(copy)).not.toBe(fs.readFileSync(ARCHITECTURE_FILE, 'utf8'));
});

test('each dataset has one ingest and one store node with its name, fed by its schedule and its topic', () => {
  const datasets = resourcesOfType('AWS::MSK::Topic')
    .map(([, r]) => r.Properties.TopicName as string)
    .filter((name) => name.endsWith('.clean'))
    .map((name) => name.replace(/\.clean$/, ''));
  expect(datasets.sort()).toEqual(['customer_orders', 'patient_visits', 'weather_observations']);
  for (const dataset of datasets) {
    expect(diagram.match(new RegExp(`"λ ingest: ${dataset}"`, 'g'))).toHaveLength(1);
    expect(diagram.match(new RegExp(`"λ store: ${dataset}"`, 'g'))).toHaveLength(1);
  }
  for (const [id, rule] of resourcesOfType('AWS::Events::Rule').filter(([, r]) => r.Properties.ScheduleExpression)) {
    const target = nodeIdOf(rule.Properties.Targets[0].Arn['Fn::GetAtt'][0]);
    expect(diagram).toContain(`  ${nodeIdOf(id)} -->|target| ${target}\n`);
  }
});

test('generation is deterministic: the same template in another resource order gives the same text', () => {
  const reversed = { ...template, Resources: Object.fromEntries(Object.entries(template.Resources).reverse()) };
  expect(mermaidFromTemplate(reversed)).toBe(diagram);
  expect(mermaidFromTemplate(template)).toBe(diagram);
});
