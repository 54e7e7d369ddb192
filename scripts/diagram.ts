/**
 * `npm run diagram`: the architecture diagram (Mermaid) of docs/architecture.md, derived from the dev blueprint's
 * synthesized template (no packs, no bundling). `npm run diagram -- --check` exits 1 when the committed file is stale.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDatasetsConfig, resolveProfile } from '../lib/config';
import { synthesizeBlueprintTemplate } from './blueprint-template';
import { ensureHandlerBundles } from './build-handlers';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..');
export const ARCHITECTURE_FILE = path.join(REPOSITORY_ROOT, 'docs', 'architecture.md');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, read structurally
type Json = any;

/** Synthesizes the dev blueprint with the example datasets (cdk.json's feature flags, no packs, no bundling). */
export function synthesizeDevTemplate(root: string = REPOSITORY_ROOT): Json {
  return synthesizeBlueprintTemplate(root, resolveProfile('dev'), loadDatasetsConfig(path.join(root, 'examples', 'datasets.json')));
}

/** A node or edge of the diagram; everything is sorted before printing, so the output is deterministic. */
interface Node { readonly id: string; readonly label: string; readonly group: string; readonly shape?: 'db' | 'queue' | 'round' }
interface Edge { readonly from: string; readonly to: string; readonly label: string; readonly dotted?: boolean }

const GROUPS: ReadonlyArray<[string, string]> = [
  ['triggers', 'Triggers (EventBridge)'],
  ['network', 'Network (VPC)'],
  ['ingest', 'Stage 1: ingest (per dataset)'],
  ['store', 'Stage 2: store (per dataset)'],
  ['load', 'Stage 3: load'],
  ['ops', 'Deploy-time and rotation functions'],
  ['stream', 'MSK cluster and topics'],
  ['stores', 'Data stores'],
  ['secrets', 'Secrets'],
  ['detection', 'Detection and audit'],
  ['keys', 'KMS keys'],
];

/** Logical ids without CDK's 8-character hash and the construct prefix: stable, readable Mermaid ids. */
function nodeId(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '').replace(/^Pipeline/, '') || logicalId;
}

/** Every logical id a CloudFormation expression refers to (Ref / Fn::GetAtt), and every literal string in it. */
function references(value: Json, ids: Set<string> = new Set(), literals: string[] = []): { ids: Set<string>; literals: string[] } {
  if (typeof value === 'string') literals.push(value);
  else if (Array.isArray(value)) value.forEach((v) => references(v, ids, literals));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries<Json>(value)) {
      if (key === 'Ref' && typeof v === 'string') ids.add(v);
      else if (key === 'Fn::GetAtt') ids.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);
      else references(v, ids, literals);
    }
  }
  return { ids, literals };
}

function tag(resource: Json, key: string): string | undefined {
  const tags = resource.Properties?.Tags;
  return Array.isArray(tags) ? tags.find((t: Json) => t?.Key === key && typeof t.Value === 'string')?.Value : undefined;
}

/** Which stage a function belongs to, read from the environment the construct gives it. */
function functionStage(env: Record<string, Json>): { group: string; label: string } {
  const literal = (key: string): string => (typeof env[key] === 'string' ? env[key] : '');
  const dataset = literal('DATASET') || literal('TOPIC').replace(/\.clean$/, '')
    || literal('POWERTOOLS_SERVICE_NAME').replace(/^(ingest|store)-/, '');
  if ('TOPIC' in env && 'WATERMARK_TABLE' in env) return { group: 'ingest', label: `ingest: ${dataset}` };
  if ('CURATED_BUCKET' in env) return { group: 'store', label: `store: ${dataset}` };
  if ('DB_HOST' in env) return { group: 'load', label: 'load (PostgreSQL)' };
  return { group: 'ops', label: '' };
}

const WRITE_ACTION = /:(Put|Write|Send|Publish|Update|Delete|Create|BatchWrite)/;

/** Derives the Mermaid flowchart from a synthesized template. Pure: the same template gives the same text. */
export function mermaidFromTemplate(template: Json): string {
  const resources: Record<string, Json> = template?.Resources ?? {};
  const nodes = new Map<string, Node>();
  const edges = new Map<string, Edge>();
  const add = (node: Node): void => { nodes.set(node.id, node); };
  const connect = (edge: Edge): void => {
    if (edge.from !== edge.to) edges.set(`${edge.from}>${edge.to}>${edge.label}`, edge);
  };
  const ofType = (type: string): Array<[string, Json]> =>
    Object.entries(resources).filter(([, r]) => r?.Type === type).sort(([a], [b]) => a.localeCompare(b));
  const nodeOf = new Map<string, string>(); // logical id → node id

  // Network: one node for the VPC and its subnet tiers, one for the endpoints, the NAT gateways.
  const tiers = new Map<string, number>();
  for (const [id] of ofType('AWS::EC2::Subnet')) {
    const tier = /Vpc([a-z]+)Subnet\d+Subnet/.exec(id)?.[1] ?? 'other';
    tiers.set(tier, (tiers.get(tier) ?? 0) + 1);
  }
  for (const [id] of ofType('AWS::EC2::VPC')) {
    const tierText = [...tiers.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ×${n}`).join(', ');
    add({ id: 'Vpc', label: `VPC<br/>subnet tiers: ${tierText}`, group: 'network' });
    nodeOf.set(id, 'Vpc');
  }
  const nats = ofType('AWS::EC2::NatGateway').length;
  if (nats > 0) add({ id: 'Nat', label: `NAT gateway ×${nats}<br/>(egress to sources)`, group: 'network' });
  const endpoints = ofType('AWS::EC2::VPCEndpoint').map(([, r]) => {
    const service = references(r.Properties?.ServiceName).literals.join('').replace(/^(com\.amazonaws\.|aws\.api\.)?\.?/, '');
    return `${service.replace(/^\./, '')} (${(r.Properties?.VpcEndpointType ?? 'Gateway').toLowerCase()})`;
  }).sort();
  const endpointLines = Array.from({ length: Math.ceil(endpoints.length / 4) }, (_, i) => endpoints.slice(i * 4, i * 4 + 4).join(', '));
  if (endpoints.length > 0) add({ id: 'Endpoints', label: `VPC endpoints ×${endpoints.length}<br/>${endpointLines.join('<br/>')}`, group: 'network' });

  // Keys.
  for (const [id, r] of ofType('AWS::KMS::Key')) {
    add({ id: nodeId(id), label: `${nodeId(id).replace(/^Keys/, '')}<br/>(${tag(r, 'data-classification') ?? 'unclassified'})`, group: 'keys' });
    nodeOf.set(id, nodeId(id));
  }

  // Data stores.
  for (const [id, r] of ofType('AWS::S3::Bucket')) {
    add({ id: nodeId(id), label: `S3 ${nodeId(id).replace(/Bucket$/, '')}<br/>(${tag(r, 'data-classification') ?? 'unclassified'})`, group: 'stores', shape: 'db' });
    nodeOf.set(id, nodeId(id));
  }
  for (const [id, r] of ofType('AWS::RDS::DBInstance')) {
    add({ id: nodeId(id), label: `RDS PostgreSQL<br/>${r.Properties?.DBInstanceClass ?? ''}${r.Properties?.MultiAZ ? ', Multi-AZ' : ''}`, group: 'stores', shape: 'db' });
    nodeOf.set(id, nodeId(id));
  }
  for (const [id] of ofType('AWS::DynamoDB::Table')) {
    add({ id: nodeId(id), label: `DynamoDB ${nodeId(id)}`, group: 'stores', shape: 'db' });
    nodeOf.set(id, nodeId(id));
  }
  for (const [id, r] of ofType('AWS::MSK::Cluster')) {
    const p = r.Properties ?? {};
    add({ id: nodeId(id), label: `MSK cluster<br/>${p.BrokerNodeGroupInfo?.InstanceType ?? ''} ×${p.NumberOfBrokerNodes ?? '?'}`, group: 'stream', shape: 'db' });
    nodeOf.set(id, nodeId(id));
  }
  const topicNode = new Map<string, string>(); // topic name → node id
  for (const [id, r] of ofType('AWS::MSK::Topic')) {
    const name = String(r.Properties?.TopicName ?? id);
    const node = `Topic_${name.replace(/[^A-Za-z0-9]/g, '_')}`;
    add({ id: node, label: `topic ${name}`, group: 'stream', shape: 'queue' });
    topicNode.set(name, node);
    nodeOf.set(id, node);
  }
  for (const [id, r] of ofType('AWS::SecretsManager::Secret')) {
    add({ id: nodeId(id), label: `secret ${nodeId(id).replace(/Secret$/, '')}<br/>(${tag(r, 'data-classification') ?? 'unclassified'})`, group: 'secrets' });
    nodeOf.set(id, nodeId(id));
  }

  // Detection and audit.
  for (const [id] of ofType('Custom::GuardDutyDetector')) {
    add({ id: 'GuardDuty', label: 'GuardDuty detector<br/>(adopted or created, custom resource)', group: 'detection' });
    nodeOf.set(id, 'GuardDuty');
  }
  for (const [id, r] of ofType('Custom::GuardDutyMalwareProtectionPlan')) {
    add({ id: nodeId(id), label: 'GuardDuty Malware Protection for S3', group: 'detection' });
    nodeOf.set(id, nodeId(id));
    for (const ref of references(r.Properties).ids) {
      if (resources[ref]?.Type === 'AWS::S3::Bucket') connect({ from: nodeId(id), to: nodeOf.get(ref) ?? ref, label: 'scans' });
    }
  }
  for (const [id, r] of ofType('AWS::CloudTrail::Trail')) {
    add({ id: nodeId(id), label: 'CloudTrail trail', group: 'detection' });
    nodeOf.set(id, nodeId(id));
    for (const ref of references(r.Properties?.S3BucketName).ids) connect({ from: nodeId(id), to: nodeOf.get(ref) ?? ref, label: 'delivers logs' });
  }
  for (const [id] of ofType('AWS::SNS::Topic')) {
    add({ id: nodeId(id), label: 'SNS security alerts', group: 'detection', shape: 'queue' });
    nodeOf.set(id, nodeId(id));
  }

  // Functions by stage.
  for (const [id, r] of ofType('AWS::Lambda::Function')) {
    const env: Record<string, Json> = r.Properties?.Environment?.Variables ?? {};
    const stage = functionStage(env);
    const label = stage.label || nodeId(id).replace(/Function$/, '');
    add({ id: nodeId(id), label: `λ ${label}`, group: stage.group, shape: 'round' });
    nodeOf.set(id, nodeId(id));
  }

  const queueNode = (id: string): string => {
    if (!nodes.has(nodeId(id))) add({ id: nodeId(id), label: `SQS ${nodeId(id)}`, group: 'triggers', shape: 'queue' });
    nodeOf.set(id, nodeId(id));
    return nodeId(id);
  };

  // Event source mappings: topic or queue → function.
  for (const [, r] of ofType('AWS::Lambda::EventSourceMapping')) {
    const p = r.Properties ?? {};
    const fn = nodeOf.get([...references(p.FunctionName).ids][0] ?? '');
    if (!fn) continue;
    const [source] = [...references(p.EventSourceArn).ids];
    const sourceType = resources[source]?.Type;
    if (sourceType === 'AWS::MSK::Cluster' && Array.isArray(p.Topics)) {
      for (const topic of p.Topics) connect({ from: topicNode.get(String(topic)) ?? nodeId(source), to: fn, label: 'event source' });
    } else if (sourceType === 'AWS::SQS::Queue') {
      connect({ from: queueNode(source), to: fn, label: 'event source' });
    } else if (source) {
      connect({ from: nodeOf.get(source) ?? nodeId(source), to: fn, label: 'event source' });
    }
  }

  // EventBridge rules: schedule → target, event pattern (bucket, GuardDuty) → rule → target.
  for (const [id, r] of ofType('AWS::Events::Rule')) {
    const p = r.Properties ?? {};
    const targets = (p.Targets ?? []).map((t: Json) => [...references(t.Arn).ids][0]).filter(Boolean) as string[];
    const rule = nodeId(id);
    if (p.ScheduleExpression) {
      add({ id: rule, label: `schedule ${p.ScheduleExpression}`, group: 'triggers' });
    } else {
      const sources: string[] = p.EventPattern?.source ?? [];
      add({ id: rule, label: `rule: ${(p.EventPattern?.['detail-type'] ?? sources).join(', ')}`, group: 'triggers' });
      for (const ref of references(p.EventPattern).ids) if (nodeOf.has(ref)) connect({ from: nodeOf.get(ref) as string, to: rule, label: 'event' });
      if (sources.includes('aws.guardduty') && nodes.has('GuardDuty')) connect({ from: 'GuardDuty', to: rule, label: 'findings' });
    }
    for (const target of targets) {
      const to = resources[target]?.Type === 'AWS::SQS::Queue' ? queueNode(target) : nodeOf.get(target);
      if (to) connect({ from: rule, to, label: 'target' });
    }
  }

  // IAM grants: a function's policies that name a data store, topic, secret or alert topic.
  const grantTypes = new Set(['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret', 'AWS::SNS::Topic', 'AWS::RDS::DBInstance']);
  const policies = Object.entries(resources).filter(([, r]) => r?.Type === 'AWS::IAM::Policy' || r?.Type === 'AWS::IAM::ManagedPolicy');
  for (const [fnId, fn] of ofType('AWS::Lambda::Function')) {
    const [role] = [...references(fn.Properties?.Role).ids];
    if (!role) continue;
    const attached = references(resources[role]?.Properties?.ManagedPolicyArns).ids;
    for (const [policyId, policy] of policies) {
      if (!attached.has(policyId) && !references(policy.Properties?.Roles).ids.has(role)) continue;
      for (const statement of policy.Properties?.PolicyDocument?.Statement ?? []) {
        if (statement.Effect === 'Deny') continue;
        const actions: string[] = [statement.Action ?? []].flat();
        const writes = actions.some((a) => WRITE_ACTION.test(a));
        const named = references(statement.Resource);
        const targets = new Set<string>();
        for (const ref of named.ids) if (grantTypes.has(resources[ref]?.Type)) targets.add(nodeOf.get(ref) as string);
        for (const [name, node] of topicNode) if (named.literals.some((l) => l.endsWith(`/${name}`))) targets.add(node);
        for (const target of targets) {
          if (writes) connect({ from: nodeId(fnId), to: target, label: 'writes' });
          else connect({ from: target, to: nodeId(fnId), label: 'reads', dotted: true });
        }
      }
    }
  }
  // A read grant that an event source mapping already draws is the same arrow.
  for (const [key, edge] of edges) {
    if (edge.label === 'reads' && edges.has(`${edge.from}>${edge.to}>event source`)) edges.delete(key);
  }

  // Keys: which data store each key encrypts (a reference from the store's properties).
  for (const [id, r] of Object.entries(resources)) {
    const store = nodeOf.get(id);
    if (!store || !['stores', 'stream', 'secrets', 'detection'].includes(nodes.get(store)?.group ?? '')) continue;
    for (const ref of references(r.Properties).ids) {
      if (resources[ref]?.Type === 'AWS::KMS::Key') connect({ from: nodeId(ref), to: store, label: 'encrypts', dotted: true });
    }
  }

  return render(nodes, edges);
}

function shape(node: Node): string {
  const label = `"${node.label.replace(/"/g, '#quot;')}"`;
  switch (node.shape) {
    case 'db': return `[(${label})]`;
    case 'queue': return `>${label}]`;
    case 'round': return `(${label})`;
    default: return `[${label}]`;
  }
}

function render(nodes: Map<string, Node>, edges: Map<string, Edge>): string {
  const lines = ['flowchart LR'];
  for (const [group, title] of GROUPS) {
    const members = [...nodes.values()].filter((n) => n.group === group).sort((a, b) => a.id.localeCompare(b.id));
    if (members.length === 0) continue;
    lines.push(`  subgraph ${group}["${title}"]`);
    for (const node of members) lines.push(`    ${node.id}${shape(node)}`);
    lines.push('  end');
  }
  const sorted = [...edges.values()]
    .filter((e) => nodes.has(e.from) && nodes.has(e.to))
    .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.label.localeCompare(b.label));
  for (const e of sorted) lines.push(`  ${e.from} ${e.dotted ? '-.->' : '-->'}|${e.label}| ${e.to}`);
  return lines.join('\n');
}

/** The whole docs/architecture.md. */
export function architectureMarkdown(template: Json): string {
  return `# Architecture

<!-- Generated by \`npm run diagram\` from the synthesized dev blueprint (examples/datasets.json, no packs, no
bundling). Do not edit by hand: CI (\`npm test\`, test/unit/diagram.test.ts) fails when this file is stale. -->

The dev profile's stack with the example datasets, as CloudFormation sees it: every node is a resource (or a group
of them) of the template, every arrow a reference in it: an event source mapping, an EventBridge rule's pattern or
target, an IAM grant that names the resource, or the KMS key a store is encrypted with. Prod differs in sizes and
zone count (three zones, Multi-AZ database, three brokers), not in shape. Deploying it: [docs/deploy.md](deploy.md).

\`\`\`mermaid
${mermaidFromTemplate(template)}
\`\`\`

Legend:

- Rectangles: configuration and control (VPC, endpoints, EventBridge schedules and rules, keys, detection);
  rounded (λ): Lambda functions, one per dataset and stage for ingest and store; cylinders: data stores (S3 buckets
  with their data classification, RDS, DynamoDB, the MSK cluster); flags: topics and queues.
- \`-->|event source|\`: a Lambda event source mapping (MSK topic or SQS queue invokes the function).
- \`-->|target|\`, \`-->|event|\`, \`-->|findings|\`: EventBridge: a schedule or a rule invokes its target; the
  buckets or the detector whose events the rule matches.
- \`-->|writes|\`: the function's role may write to the resource; \`-.->|reads|\`: it may only read it
  (IAM policy statements that name the resource).
- \`-.->|encrypts|\`: the customer managed KMS key the resource is encrypted with.
- Not drawn: log groups, alarms, metric filters, security groups, roles and the functions' dead-letter queues.
`;
}

function main(argv: readonly string[]): number {
  const expected = architectureMarkdown(synthesizeDevTemplate());
  if (argv.includes('--check')) {
    const current = fs.existsSync(ARCHITECTURE_FILE) ? fs.readFileSync(ARCHITECTURE_FILE, 'utf8') : '';
    if (current !== expected) {
      console.error(`${path.relative(process.cwd(), ARCHITECTURE_FILE)} is stale: run npm run diagram and commit it.`);
      return 1;
    }
    console.log(`${path.relative(process.cwd(), ARCHITECTURE_FILE)} is up to date.`);
    return 0;
  }
  fs.writeFileSync(ARCHITECTURE_FILE, expected);
  console.log(`wrote ${path.relative(process.cwd(), ARCHITECTURE_FILE)}`);
  return 0;
}

if (require.main === module) void ensureHandlerBundles().then(() => process.exit(main(process.argv.slice(2))));
