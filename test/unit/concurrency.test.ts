/**
 * The blueprint reserves no Lambda concurrency unless a profile asks (issue 12: new accounts start with a quota of 10
 * and Lambda keeps 100 unreserved), and every function is still bounded where it is invoked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { loadDatasetsConfig, PROFILES, resolveProfile } from '../../lib/config';
import { loadMaxConcurrency } from '../../lib/constructs/pipeline/load-stage';
import { storeMaxPollers } from '../../lib/constructs/pipeline/store-stage';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import { auditContext, buildPipelineStack, ComplianceResult, EXAMPLE_DATASETS, expectNoFindings, synthWithCompliance } from '../helpers/app';

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resourcesOf(result: ComplianceResult, stack: SecurePipelineStack): Resources {
  return JSON.parse(fs.readFileSync(path.join(result.outdir, stack.templateFile), 'utf8')).Resources;
}

function functionsOf(resources: Resources): [string, Resources[string]][] {
  return Object.entries(resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
}

const PACK_RULES = ['HIPAA.Security::HIPAA.Security-LambdaConcurrency', 'NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency'];

describe.each(['dev', 'prod'])('concurrency of the %s blueprint', (profile) => {
  // Acknowledgements recorded but not applied: what every pack really finds.
  let audit: ComplianceResult;
  let stack: SecurePipelineStack;
  let resources: Resources;
  beforeAll(() => {
    audit = synthWithCompliance((app: App) => { stack = buildPipelineStack(app, profile); }, { profile, ...auditContext() });
    resources = resourcesOf(audit, stack);
  });

  test('no function reserves concurrency', () => {
    const functions = functionsOf(resources);
    expect(functions.length).toBeGreaterThanOrEqual(7);
    expect(functions.filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined).map(([id]) => id)).toEqual([]);
  });

  test('every function passes LambdaBoundedConcurrency (never acknowledgeable, so nothing hides a finding)', () => {
    expect(audit.findings.filter((f) => f.ruleId === 'DataPipeline-LambdaBoundedConcurrency')).toEqual([]);
  });

  test('the HIPAA and NIST LambdaConcurrency findings are acknowledged on each function, naming its bound, and only there', () => {
    const found = audit.findings.filter((f) => f.ruleId.endsWith('-LambdaConcurrency')).map((f) => `${f.pack}::${f.ruleId} ${f.path}`).sort();
    const acknowledged = audit.acknowledgements.filter((a) => PACK_RULES.includes(a.id));
    expect(acknowledged.map((a) => `${a.id} ${a.path}`).sort()).toEqual(found);
    expect(acknowledged).toHaveLength(functionsOf(resources).length * PACK_RULES.length);
    for (const a of acknowledged) expect(a.reason).toMatch(/^(Bounded by the (SQS|MSK) event source mapping|Invoked only by (its EventBridge schedule|CloudFormation|Secrets Manager))/);
  });

  test('the raw template carries the same decision for Checkov (CKV_AWS_115) and cfn_nag (W92), with the reason, on each function', () => {
    const reasons = new Set(audit.acknowledgements.filter((a) => a.id === PACK_RULES[0]).map((a) => a.reason));
    for (const [id, fn] of functionsOf(resources)) {
      const metadata = (fn as { Metadata?: Record<string, unknown> }).Metadata ?? {};
      const reason = (metadata.checkov as { skip?: { comment?: string }[] } | undefined)?.skip?.[0]?.comment;
      expect({ id, acknowledged: reasons.has(String(reason)) }).toEqual({ id, acknowledged: true });
      expect(metadata.checkov).toEqual({ skip: [{ id: 'CKV_AWS_115', comment: reason }] });
      expect(metadata.cfn_nag).toEqual({ rules_to_suppress: [{ id: 'W92', reason }] });
    }
  });

  test('the bounds the reasons name are in the template: SQS maximum concurrency, MSK pollers', () => {
    const mappings = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::EventSourceMapping').map((r) => r.Properties);
    const sqs = mappings.filter((m) => m.ScalingConfig !== undefined);
    const kafka = mappings.filter((m) => m.Topics !== undefined);
    expect(sqs).toHaveLength(1);
    expect(kafka.length).toBe(loadDatasetsConfig(EXAMPLE_DATASETS).datasets.length);
    const profileValues = resolveProfile(profile);
    expect(sqs[0]!.ScalingConfig).toEqual({ MaximumConcurrency: Math.max(2, Math.min(profileValues.functionConcurrency, 10)) });
    for (const m of kafka) {
      expect(m.ProvisionedPollerConfig).toMatchObject({ MaximumPollers: Math.min(profileValues.topicPartitions, profileValues.functionConcurrency) });
    }
  });
});

test('functionConcurrency bounds the mappings: the store\'s pollers (at most one per partition), the load\'s SQS maximum (2 to 10)', () => {
  expect(storeMaxPollers(6, { ...PROFILES.prod, functionConcurrency: 2 })).toBe(2);
  expect(storeMaxPollers(3, { ...PROFILES.prod, functionConcurrency: 20 })).toBe(3);
  expect(loadMaxConcurrency({ ...PROFILES.dev, functionConcurrency: 1 })).toBe(2);
  expect(loadMaxConcurrency({ ...PROFILES.dev, functionConcurrency: 7 })).toBe(7);
  expect(loadMaxConcurrency({ ...PROFILES.prod, functionConcurrency: 50 })).toBe(10);
});

describe('a profile override of reservedConcurrency', () => {
  let result: ComplianceResult;
  let stack: SecurePipelineStack;
  beforeAll(() => {
    result = synthWithCompliance((app) => {
      stack = new SecurePipelineStack(app, 'SecureDataPipeline-dev', {
        profile: resolveProfile('dev', { reservedConcurrency: 2 }),
        datasets: loadDatasetsConfig(EXAMPLE_DATASETS),
      });
    }, { profile: 'dev' });
  });

  test('reserves that many on every pipeline function, and nothing acknowledges the packs\' LambdaConcurrency', () => {
    const functions = functionsOf(resourcesOf(result, stack));
    expect(functions.length).toBeGreaterThanOrEqual(7);
    expect(functions.map(([, fn]) => fn.Properties.ReservedConcurrentExecutions)).toEqual(functions.map(() => 2));
    expect(result.acknowledgements.filter((a) => PACK_RULES.includes(a.id))).toEqual([]);
  });

  test('still passes every pack', () => expectNoFindings(result));
});
