import { Aws, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { loadDatasetsConfig } from '../../lib/config';
import { DnsFirewall, isIpLiteral } from '../../lib/constructs/network/dns-firewall';
import { buildPipelineStack, EXAMPLE_DATASETS, testApp, testStack } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

function firewall(allowedDomains: readonly string[], stack: Stack = testStack()) {
  const vpc = new Vpc(stack, 'Vpc', { natGateways: 0, restrictDefaultSecurityGroup: false });
  return { stack, vpc, firewall: new DnsFirewall(stack, 'Firewall', { vpc, allowedDomains }) };
}

/** A domain as the template renders it, with the region and the dash-less region written out. */
function render(domain: Json): string {
  if (typeof domain === 'string') return domain;
  const join = domain['Fn::Join'];
  // Fn::Join('', Fn::Split('-', region)): the region without dashes.
  if (join && join[1]['Fn::Split']?.[1]?.Ref === 'AWS::Region' && join[0] === '') return '<regionwithoutdashes>';
  if (join) return (join[1] as Json[]).map(render).join(join[0]);
  if (domain.Ref === 'AWS::Region') return '<region>';
  throw new Error(`unexpected ${JSON.stringify(domain)}`);
}

describe('DnsFirewall', () => {
  const { stack, vpc } = firewall(['api.example.com', `sts.${Aws.REGION}.amazonaws.com`, 'api.example.com']);
  const template = Template.fromStack(stack);
  const vpcRef = { Ref: stack.getLogicalId(vpc.node.defaultChild as never) };

  test('allow list first, then block everything else with NODATA; associated with the VPC; fails closed', () => {
    const lists = Object.entries(template.findResources('AWS::Route53Resolver::FirewallDomainList'));
    const allowed = lists.find(([, l]) => !l.Properties.Domains.includes('*'))!;
    const everything = lists.find(([, l]) => l.Properties.Domains.includes('*'))!;
    expect(everything[1].Properties.Domains).toEqual(['*']);
    expect(allowed[1].Properties.Domains.map(render).sort()).toEqual(['api.example.com', 'sts.<region>.amazonaws.com']);
    template.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroup', {
      FirewallRules: [
        { Priority: 100, Action: 'ALLOW', FirewallDomainListId: { 'Fn::GetAtt': [allowed[0], 'Id'] }, FirewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN' },
        { Priority: 200, Action: 'BLOCK', BlockResponse: 'NODATA', FirewallDomainListId: { 'Fn::GetAtt': [everything[0], 'Id'] } },
      ],
    });
    template.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroupAssociation', { VpcId: vpcRef, Priority: 101 });
    template.hasResourceProperties('AWS::Route53Resolver::FirewallConfig', { ResourceId: vpcRef, FirewallFailOpen: 'DISABLED' });
  });

  test('names that would let anything or any AWS account\'s endpoints resolve are refused, with every problem listed', () => {
    let message = '';
    try {
      firewall(['*', '*.com', '*.amazonaws.com', `*.${Aws.REGION}.amazonaws.com`, '*.eu-west-1.amazonaws.com', '*.api.aws']);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^DnsFirewall TestStack\/Firewall: 6 problems/);
    for (const name of ['*', '*.com']) expect(message).toContain(`"${name}" would allow every name`);
    for (const name of ['*.amazonaws.com', '*.eu-west-1.amazonaws.com', '*.api.aws']) expect(message).toContain(`"${name}" would let any AWS account's endpoints resolve`);
    expect(message).toMatch(/"\*\.\$\{Token\[AWS\.Region\.\d+\]\}\.amazonaws\.com" would let any AWS account's endpoints resolve/);
    expect(() => firewall(['https://api.example.com/x', 'API.example.com', '10.0.0.1', 'api.example.com:443']))
      .toThrow(/4 problems[\s\S]*is not a lower-case host name/);
    expect(() => firewall([])).toThrow(/allowedDomains: is empty/);
    expect(isIpLiteral('203.0.113.7')).toBe(true);
    expect(isIpLiteral('[2001:db8::1]')).toBe(true);
    expect(isIpLiteral('api.example.com')).toBe(false);
  });
});

describe('the pipeline\'s DNS firewall (dev blueprint)', () => {
  const stack = buildPipelineStack(testApp());
  const template = Template.fromStack(stack);
  const allowed = Object.values(template.findResources('AWS::Route53Resolver::FirewallDomainList'))
    .map((l) => (l.Properties.Domains as Json[]).map(render)).find((d) => !d.includes('*'))!;

  test('resolves exactly: every dataset source and token host, the endpoint service names, S3/DynamoDB, CloudFormation responses, the data stores', () => {
    const datasets = loadDatasetsConfig(EXAMPLE_DATASETS).datasets;
    const hosts = new Set(datasets.flatMap((d) => [d.source.url, ...(d.source.auth ? [d.source.auth.tokenUrl] : [])]).map((u) => new URL(u).hostname));
    const response = 'cloudformation-custom-resource-response-<regionwithoutdashes>';
    expect([...allowed].sort()).toEqual([
      ...hosts,
      ...['secretsmanager', 'kms', 'logs', 'sts', 'sqs', 'sns', 'lambda', 'xray', 'monitoring', 'ec2', 'guardduty'].map((s) => `${s}.<region>.amazonaws.com`),
      'kafka-api.<region>.api.aws',
      's3.<region>.amazonaws.com', '*.s3.<region>.amazonaws.com', 'dynamodb.<region>.amazonaws.com',
      `${response}.s3.amazonaws.com`, `${response}.s3-<region>.amazonaws.com`, `${response}.s3.<region>.amazonaws.com`,
      '*.kafka.<region>.amazonaws.com', '*.<region>.rds.amazonaws.com',
    ].sort());
  });

  test('no wildcard over amazonaws.com or a whole region', () => {
    for (const domain of allowed) expect(domain).not.toMatch(/^\*\.(<region>\.)?(amazonaws\.com|api\.aws)$/);
  });

  test('the firewall guards the pipeline\'s VPC', () => {
    const vpcId = stack.getLogicalId(stack.pipeline.network.vpc.node.defaultChild as never);
    template.hasResourceProperties('AWS::Route53Resolver::FirewallRuleGroupAssociation', { VpcId: { Ref: vpcId } });
    template.hasResourceProperties('AWS::Route53Resolver::FirewallConfig', { ResourceId: { Ref: vpcId }, FirewallFailOpen: 'DISABLED' });
  });
});
