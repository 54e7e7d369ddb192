/**
 * The whole blueprint under every pack: nothing unacknowledged (errors or warnings), every acknowledgement
 * still matches a real finding on exactly its resource, and the list of acknowledgements is a visible diff.
 */
import { auditContext, buildPipelineStack, ComplianceResult, synthWithCompliance } from '../helpers/app';

describe.each(['dev', 'prod'])('SecurePipelineStack (%s) under every pack', (profile) => {
  let result: ComplianceResult;
  let audit: ComplianceResult;
  beforeAll(() => {
    result = synthWithCompliance((app) => buildPipelineStack(app, profile), { profile });
    audit = synthWithCompliance((app) => buildPipelineStack(app, profile), { profile, ...auditContext() });
  });

  test('zero unacknowledged errors and warnings', () => {
    expect(result.findings).toEqual([]);
    expect(result.error).toBeUndefined();
  });

  test('every acknowledgement is on one resource and silences a finding that really exists there', () => {
    expect(result.acknowledgements.length).toBeGreaterThan(0);
    const found = new Set(audit.findings.map((f) => `${f.pack}::${f.ruleId} ${f.path}`));
    const stale = result.acknowledgements.filter((a) => !found.has(`${a.id} ${a.path}`));
    expect(stale).toEqual([]);
    // With acknowledgements off, the findings are exactly the acknowledged ones: nothing else is wrong.
    expect(audit.findings.length).toBe(result.acknowledgements.length);
  });

  test('acknowledgement list (rule, resource path, reason)', () => {
    expect(result.acknowledgements.map((a) => `${a.id} @ ${a.path}: ${a.reason}`)).toMatchSnapshot();
  });
});
