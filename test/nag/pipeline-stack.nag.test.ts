/**
 * The whole blueprint under every pack: nothing unacknowledged (errors or warnings), every acknowledgement
 * still matches a real finding on exactly its resource, and the list of acknowledgements is a visible diff.
 */
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { SecurePipelineStack } from '../../lib/stacks/secure-pipeline-stack';
import {
  buildPipelineStack, ComplianceResult, EXAMPLE_DATASETS, expectAcknowledgementsMatchFindings, expectNoFindings, synthAndAudit, synthWithCompliance,
} from '../helpers/app';

describe.each(['dev', 'prod'])('SecurePipelineStack (%s) under every pack', (profile) => {
  let result: ComplianceResult;
  let audit: ComplianceResult;
  beforeAll(() => {
    ({ result, audit } = synthAndAudit((app) => buildPipelineStack(app, profile), { profile }));
  });

  test('zero unacknowledged errors and warnings', () => expectNoFindings(result));

  test('every acknowledgement is on one resource and silences a finding that really exists there', () => {
    expect(result.acknowledgements.length).toBeGreaterThan(0);
    expectAcknowledgementsMatchFindings(result, audit);
  });

  test('acknowledgement list (rule, resource path, reason)', () => {
    expect(result.acknowledgements.map((a) => `${a.id} @ ${a.path}: ${a.reason}`)).toMatchSnapshot();
  });
});

describe('SecurePipelineStack with its environment pinned at synth (-c account=… -c region=…)', () => {
  // A pinned region and account appear as literals in policies, so the findings an acknowledgement names must too.
  test.each([
    ['eu-west-1', {}],
    ['us-east-1', { availabilityZoneIds: 'use1-az1,use1-az2' }],
  ])('%s: zero unacknowledged errors and warnings', (region, context) => {
    const result = synthWithCompliance((app) => {
      new SecurePipelineStack(app, 'Pinned', {
        env: { account: '111122223333', region },
        profile: resolveProfile('dev'),
        datasets: loadDatasetsConfig(EXAMPLE_DATASETS),
      });
    }, { profile: 'dev', ...context });
    expect(result.error).toBeUndefined();
    expectNoFindings(result);
  });
});
