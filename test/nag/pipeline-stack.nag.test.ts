/**
 * The whole blueprint under every pack: nothing unacknowledged (errors or warnings), every acknowledgement
 * still matches a real finding on exactly its resource, and the list of acknowledgements is a visible diff.
 */
import { buildPipelineStack, ComplianceResult, expectAcknowledgementsMatchFindings, expectNoFindings, synthAndAudit } from '../helpers/app';

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
