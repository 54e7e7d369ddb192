/**
 * Zones by ID (issue 12 item 4): MSK cannot place brokers in use1-az3, and zone names map to zone IDs per account.
 * Subnets are placed by AvailabilityZoneId when IDs are given; bad IDs, and us-east-1 without IDs, are refused at
 * synth; an env-agnostic template without IDs carries a Rule that fails the deploy in us-east-1.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import fc from 'fast-check';
import { chooseZoneIds, loadDatasetsConfig, parseZoneIdsContext, regionOfZoneIdPrefix, resolveProfile, zoneIdPrefix, zoneIdProblems } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork, SecureNetworkProps } from '../../lib/constructs/network/secure-network';
import { ConfigurationError } from '../../lib/errors';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { CDK_JSON_CONTEXT, EXAMPLE_DATASETS, testApp } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation JSON, inspected structurally
type Json = any;

function network(props: Partial<SecureNetworkProps> = {}, env?: { region?: string; account?: string }): Stack {
  const stack = new Stack(testApp(), 'Zones', env ? { env } : {});
  const keys = new DataKeys(stack, 'Keys');
  new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, egress: true, ...props });
  return stack;
}

function refusal(build: () => unknown): ConfigurationError {
  try {
    build();
  } catch (e) {
    if (e instanceof ConfigurationError) return e;
    throw e;
  }
  throw new Error('expected a ConfigurationError');
}

function subnets(stack: Stack): Json[] {
  return Object.values(Template.fromStack(stack).findResources('AWS::EC2::Subnet')).map((r: Json) => r.Properties);
}

function regionRules(stack: Stack): Json {
  const rules = Template.fromStack(stack).toJSON().Rules ?? {};
  return Object.fromEntries(Object.entries(rules).filter(([id]) => id.includes('ZoneIdsRegion')));
}

function zoneRules(stack: Stack): Json {
  const rules = Template.fromStack(stack).toJSON().Rules ?? {};
  return Object.fromEntries(Object.entries(rules).filter(([id]) => id.includes('ZoneIdsRequired')));
}

describe('zone IDs: placement', () => {
  test('given IDs, every subnet of every tier is placed by AvailabilityZoneId, never by a zone name', () => {
    const stack = network({ azCount: 3, availabilityZoneIds: ['use1-az6', 'use1-az1', 'use1-az4'] });
    const placed = subnets(stack);
    expect(placed).toHaveLength(12); // data, compute, egress, nat × 3 zones
    for (const subnet of placed) {
      expect(subnet.AvailabilityZone).toBeUndefined(); // CloudFormation takes one of the two
      expect(['use1-az6', 'use1-az1', 'use1-az4']).toContain(subnet.AvailabilityZoneId);
    }
    // Each tier spans the three zones, one subnet each.
    const byTier = new Map<string, string[]>();
    for (const s of placed) {
      const tier = (s.Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === 'aws-cdk:subnet-name')!.Value;
      byTier.set(tier, [...(byTier.get(tier) ?? []), s.AvailabilityZoneId]);
    }
    for (const zones of byTier.values()) expect([...zones].sort()).toEqual(['use1-az1', 'use1-az4', 'use1-az6']);
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('Fn::GetAZs');
    expect(zoneRules(stack)).toEqual({});
  });

  test('NAT routes stay within their zone when placed by ID', () => {
    const stack = network({ azCount: 2, natGateways: 2, availabilityZoneIds: ['use1-az1', 'use1-az2'] });
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, Json>;
    const zoneOf = (logicalId: string) => resources[logicalId].Properties.AvailabilityZoneId;
    const natSubnet = (natId: string) => resources[natId].Properties.SubnetId.Ref;
    const routes = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::Route' && r.Properties.NatGatewayId);
    expect(routes).toHaveLength(2);
    for (const [, route] of routes) {
      const table = Object.values(resources).find((r: Json) => r.Type === 'AWS::EC2::SubnetRouteTableAssociation'
        && r.Properties.RouteTableId.Ref === route.Properties.RouteTableId.Ref) as Json;
      expect(zoneOf(natSubnet(route.Properties.NatGatewayId.Ref))).toBe(zoneOf(table.Properties.SubnetId.Ref));
    }
  });

  test('the blueprint stack reads -c availabilityZoneIds (comma-separated) and needs no zone lookup with account and region', () => {
    const app = new App({ outdir: testApp().outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], availabilityZoneIds: 'use1-az2, use1-az4' } });
    const stack = new SecurePipelineStack(app, 'SecureDataPipeline-dev', {
      profile: resolveProfile('dev'), datasets: loadDatasetsConfig(EXAMPLE_DATASETS), env: { account: '111111111111', region: 'us-east-1' },
    });
    const zones = subnets(stack).map((s) => s.AvailabilityZoneId);
    expect(new Set(zones)).toEqual(new Set(['use1-az2', 'use1-az4']));
    expect(subnets(stack).every((s) => s.AvailabilityZone === undefined)).toBe(true);
    // No availability-zones context lookup was requested (it would need credentials at synth).
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });
});

describe('zone IDs: refusals', () => {
  test.each([
    [['us-east-1a', 'us-east-1b'], 'is not a zone ID'],
    [['use1-az1'], '1 zone IDs for a profile of 2 zones'],
    [['use1-az1', 'use1-az1'], 'given more than once'],
    [['use1-az1', 'euw1-az2'], 'different regions'],
    [['use1-az1', 'use1-az3'], 'use1-az3: MSK cannot place brokers there'],
  ])('%j is refused naming availabilityZoneIds and the fix', (ids, problem) => {
    const e = refusal(() => network({ azCount: 2, availabilityZoneIds: ids }));
    const found = e.problems.find((p) => p.path === 'availabilityZoneIds' && p.problem.includes(problem));
    expect(found).toBeDefined();
    expect(found!.fix).toMatch(/-c availabilityZoneIds=|distinct|one region/);
  });

  test('IDs of another region than the stack\'s are refused', () => {
    const e = refusal(() => network({ azCount: 2, availabilityZoneIds: ['euw1-az1', 'euw1-az2'] }, { region: 'us-east-1' }));
    expect(e.message).toContain('not in the stack\'s region us-east-1 (its zone IDs start with use1-)');
  });

  test('us-east-1 known at synth without zone IDs is refused, naming the context and the preflight', () => {
    const e = refusal(() => network({ azCount: 2 }, { region: 'us-east-1' }));
    const problem = e.problems.find((p) => p.path === 'availabilityZoneIds')!;
    expect(problem.problem).toContain('use1-az3');
    expect(problem.fix).toContain('npm run preflight');
    expect(problem.fix).toContain('-c availabilityZoneIds=');
    // Another region needs no IDs.
    expect(() => network({ azCount: 2 }, { region: 'eu-west-1' })).not.toThrow();
  });

  test('three zones in us-west-1, where MSK Standard brokers take two subnets, are refused', () => {
    const e = refusal(() => network({ azCount: 3 }, { region: 'us-west-1' }));
    expect(e.problems.map((p) => p.path)).toContain('profile.azCount');
  });

  test('the blueprint refuses use1-az3 given as context, naming the context', () => {
    const app = new App({ outdir: testApp().outdir, context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], availabilityZoneIds: 'use1-az3,use1-az1' } });
    const e = refusal(() => new SecurePipelineStack(app, 'S', { profile: resolveProfile('dev'), datasets: loadDatasetsConfig(EXAMPLE_DATASETS) }));
    expect(e.message).toMatch(/availabilityZoneIds: use1-az3: MSK cannot place brokers there\. Fix: choose other zones: .*-c availabilityZoneIds=/);
  });

  test('with an existing VPC the IDs are refused (its subnets are where they are)', () => {
    const stack = new Stack(testApp(), 'Byo');
    const keys = new DataKeys(stack, 'Keys');
    const existingVpc = Vpc.fromVpcAttributes(stack, 'Existing', {
      vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      isolatedSubnetIds: ['subnet-1', 'subnet-2', 'subnet-3', 'subnet-4'], isolatedSubnetNames: ['data', 'compute'],
    });
    const e = refusal(() => new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90, existingVpc, availabilityZoneIds: ['euw1-az1', 'euw1-az2'] }));
    expect(e.problems.map((p) => p.path)).toContain('availabilityZoneIds');
  });
});

describe('zone IDs: deploy-time guard of env-agnostic templates', () => {
  test('without IDs the template carries a Rule that fails in us-east-1 and tells the fix', () => {
    const stack = network({ azCount: 2 });
    const rules = Object.values(zoneRules(stack)) as Json[];
    expect(rules).toHaveLength(1);
    expect(rules[0].Assertions).toEqual([{
      Assert: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] },
      AssertDescription: expect.stringMatching(/use1-az3.*npm run preflight.*-c availabilityZoneIds=/),
    }]);
    // The subnets are still picked by name at deploy time.
    expect(subnets(stack).every((s) => JSON.stringify(s.AvailabilityZone).includes('Fn::GetAZs'))).toBe(true);
  });

  test('a stack whose region is known gets no Rule (the synth checks instead)', () => {
    expect(zoneRules(network({ azCount: 2 }, { region: 'eu-west-1' }))).toEqual({});
    expect(regionRules(network({ azCount: 2, availabilityZoneIds: ['euw1-az1', 'euw1-az2'] }, { region: 'eu-west-1' }))).toEqual({});
  });

  test('with IDs, the env-agnostic template deploys only to their region', () => {
    const rules = Object.values(regionRules(network({ azCount: 2, availabilityZoneIds: ['apse2-az1', 'apse2-az3'] }))) as Json[];
    expect(rules).toHaveLength(1);
    expect(rules[0].Assertions).toEqual([{
      Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'ap-southeast-2'] },
      AssertDescription: expect.stringContaining('deploy this template to ap-southeast-2'),
    }]);
  });
});

describe('zone IDs: pure helpers', () => {
  test('zone ID prefixes follow the region name', () => {
    expect(['us-east-1', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1', 'ca-central-1', 'us-gov-west-1', 'sa-east-1'].map(zoneIdPrefix))
      .toEqual(['use1', 'euw1', 'apse2', 'apne1', 'cac1', 'usgw1', 'sae1']);
    expect(zoneIdPrefix('not-a-region')).toBeUndefined();
    for (const region of ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'ap-northeast-1', 'ca-central-1', 'us-gov-west-1', 'ap-south-1', 'eu-north-1', 'me-south-1']) {
      expect(regionOfZoneIdPrefix(zoneIdPrefix(region)!)).toBe(region);
    }
    expect(regionOfZoneIdPrefix('xyzq1')).toBeUndefined();
  });

  test('context parsing: comma-separated, trimmed; absent is undefined', () => {
    expect(parseZoneIdsContext(' use1-az1 ,use1-az2')).toEqual(['use1-az1', 'use1-az2']);
    expect(parseZoneIdsContext(['use1-az1'])).toEqual(['use1-az1']);
    expect(parseZoneIdsContext(undefined)).toBeUndefined();
    expect(parseZoneIdsContext('')).toBeUndefined();
  });

  test('the preflight choice skips use1-az3 even when it is the first zone name', () => {
    const zones = [
      { zoneName: 'us-east-1b', zoneId: 'use1-az1' }, { zoneName: 'us-east-1a', zoneId: 'use1-az3' }, { zoneName: 'us-east-1c', zoneId: 'use1-az2' },
    ];
    const { chosen, skipped } = chooseZoneIds('us-east-1', zones, 2);
    expect(chosen.map((z) => z.zoneId)).toEqual(['use1-az1', 'use1-az2']);
    expect(skipped.map((z) => z.zoneId)).toEqual(['use1-az3']);
  });

  /**
   * Random lists of IDs, each built to be valid or to carry one known defect: the list is accepted exactly when it
   * is valid, and a defective one is refused with a problem naming the defect.
   */
  test('property: random well-formed and malformed ID lists', () => {
    const supported = ['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6'];
    const defect = fc.constantFrom('none', 'malformed', 'duplicate', 'otherRegion', 'unsupported', 'count');
    const malformedId = fc.oneof(
      fc.constantFrom('us-east-1a', 'use1-az', 'USE1-AZ1', 'use1az1', '', ' use1-az1', 'use1-az1 '),
      fc.string().filter((s) => !/^[a-z]{2,}[0-9]+-az[0-9]+$/.test(s)),
    );
    fc.assert(fc.property(fc.integer({ min: 2, max: 3 }), defect, fc.shuffledSubarray(supported, { minLength: 3, maxLength: 3 }), malformedId, fc.nat(2),
      (azCount, kind, pool, bad, at) => {
        let ids: unknown[] = pool.slice(0, azCount);
        const i = at % azCount;
        if (kind === 'malformed') ids[i] = bad;
        if (kind === 'duplicate') ids[i] = ids[(i + 1) % azCount];
        if (kind === 'otherRegion') ids[i] = 'euw1-az1';
        if (kind === 'unsupported') ids[i] = 'use1-az3';
        if (kind === 'count') ids = ids.slice(0, azCount - 1);
        const problems = zoneIdProblems(ids, { azCount, region: 'us-east-1' });
        const expected: Record<string, RegExp> = {
          malformed: /is not a zone ID/, duplicate: /more than once/, otherRegion: /different regions/, unsupported: /MSK cannot place/, count: /zone IDs for a profile of/,
        };
        if (kind === 'none') return problems.length === 0;
        return problems.some((p) => p.path === 'availabilityZoneIds' && expected[kind].test(p.problem) && p.fix.length > 0);
      }), { numRuns: 300 });
  });
});
