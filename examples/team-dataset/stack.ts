/**
 * Example (a): the blueprint stack with one dataset of the team's own beside the blueprint's example datasets.
 * Imports only the package's public entry point.
 */
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { DatasetConfig, DatasetsConfig, loadDatasetsConfig, resolveProfile, SecurePipelineStack, validateDatasetsConfig } from 'secure-data-pipeline';

/** The team's dataset: support tickets from their helpdesk API, Internal, with the customer's contact pseudonymised. */
export const SUPPORT_TICKETS: DatasetConfig = validateDatasetsConfig({
  datasets: [{
    name: 'support_tickets',
    classification: 'Internal',
    description: 'Tickets from the helpdesk API; customer contact details are pseudonymised',
    idField: 'ticket_id',
    source: {
      url: 'https://helpdesk.example.com/api/v2/tickets',
      schedule: 'rate(30 minutes)',
      recordsPath: 'tickets',
      auth: { tokenUrl: 'https://helpdesk.example.com/oauth/token', scope: 'tickets.read' },
    },
    fields: [
      { name: 'ticket_id', type: 'string', maxLength: 64 },
      { name: 'opened_at', type: 'timestamp' },
      { name: 'status', type: 'string', maxLength: 32 },
      { name: 'priority', type: 'integer' },
      { name: 'customer_email', type: 'string', handling: 'tokenize', maxLength: 254 },
      { name: 'customer_phone', type: 'string', handling: 'mask', maskKeepSuffix: 3, required: false, maxLength: 32 },
    ],
  }],
}, 'team dataset').datasets[0]!;

/** The blueprint's example datasets (examples/datasets.json) plus the team's, validated together. */
export function teamDatasets(blueprintFile: string = path.join(__dirname, '..', 'datasets.json')): DatasetsConfig {
  const blueprint = loadDatasetsConfig(blueprintFile);
  return validateDatasetsConfig({ datasets: [...blueprint.datasets, SUPPORT_TICKETS] }, 'team datasets');
}

export const STACK_NAME = 'TeamDatasetPipeline';

export function buildTeamDatasetApp(app: App): SecurePipelineStack {
  return new SecurePipelineStack(app, STACK_NAME, { profile: resolveProfile('dev'), datasets: teamDatasets() });
}
