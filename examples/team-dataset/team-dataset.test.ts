/** A team's CI for example (a), with the package's testing helpers: every pack, live acknowledgements, a snapshot. */
import { checkCompliance, templateOf } from 'secure-data-pipeline/testing';
import { buildTeamDatasetApp, STACK_NAME, SUPPORT_TICKETS, teamDatasets } from './stack';

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

test('the team dataset joins the blueprint datasets, validated together', () => {
  expect(teamDatasets().datasets.map((d) => d.name)).toEqual(['weather_observations', 'customer_orders', 'patient_visits', 'support_tickets']);
  expect(SUPPORT_TICKETS.fields.find((f) => f.name === 'customer_email')?.handling).toBe('tokenize');
});

test('the blueprint with the team dataset passes every pack, and every acknowledgement matches a live finding', () => {
  // No cdk.json context at all: the constructs set the feature flags they rely on themselves.
  const { result } = checkCompliance((app) => { buildTeamDatasetApp(app); });
  const template = templateOf(result, STACK_NAME) as Template;
  const resources = Object.values(template.Resources);
  // The team's dataset got its own topic, ingest function and source credential, like the blueprint's.
  const topics = resources.filter((r) => r.Type === 'AWS::MSK::Topic').map((r) => r.Properties?.TopicName);
  expect(topics).toEqual(expect.arrayContaining(['support_tickets.clean', 'support_tickets.dlq']));
  const descriptions = resources.filter((r) => r.Type === 'AWS::Lambda::Function').map((r) => String(r.Properties?.Description));
  expect(descriptions).toEqual(expect.arrayContaining([expect.stringMatching(/^Ingests support_tickets from its source/)]));
});
