/** Reads what a synthesized template does with stateful resources when the stack is deleted or a resource replaced. */

/**
 * Resource types that hold data, credentials or evidence no deploy can recreate (issue 11, finding 6; the list the
 * DataPipelineChecks retention rule enforces, plus MSK topics, which hold records too).
 */
export const STATEFUL_TYPES = [
  'AWS::S3::Bucket', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::DynamoDB::Table', 'AWS::SecretsManager::Secret',
  'AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::Backup::BackupVault', 'AWS::MSK::Cluster',
  'AWS::MSK::Configuration', 'AWS::MSK::Topic', 'AWS::SNS::Topic',
] as const;

export interface TemplateResource { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties?: Record<string, unknown> }

export interface StatefulResource {
  /** Construct path when known, else the logical id. */
  readonly path: string;
  readonly type: string;
  readonly deletion?: string;
  readonly replace?: string;
}

/** Every resource of a STATEFUL_TYPES type in the template; `pathOf` names it (default: its logical id). */
export function statefulResources(template: { Resources: Record<string, TemplateResource> }, pathOf: (logicalId: string) => string | undefined = () => undefined): StatefulResource[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => (STATEFUL_TYPES as readonly string[]).includes(r.Type))
    .map(([id, r]) => ({ path: pathOf(id) ?? id, type: r.Type, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy }));
}

/**
 * Kept on stack deletion and replacement, deleted only if the deploy that created it rolls back: DeletionPolicy
 * RetainExceptOnCreate, UpdateReplacePolicy Retain (RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE). Plain Retain is not
 * enough: it outlives a failed first deploy.
 */
export const isRetained = (r: StatefulResource): boolean => r.deletion === 'RetainExceptOnCreate' && r.replace === 'Retain';

/** Deleted with the stack and on replacement (an absent policy means Delete). */
export const isDeleted = (r: StatefulResource): boolean => (r.deletion ?? 'Delete') === 'Delete' && (r.replace ?? 'Delete') === 'Delete';
