import { RemovalPolicy } from 'aws-cdk-lib';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../errors';
import { dataRemovalPolicy } from './removal';

export interface EncryptedLogGroupProps {
  /** The key that encrypts the log group; its policy must admit CloudWatch Logs (DataKeys.audit does). */
  readonly key: IKey;
  /** Retention in days; must be a value CloudWatch Logs accepts. */
  readonly retentionDays: number;
  readonly logGroupName?: string;
  /** RETAIN_ON_UPDATE_OR_DELETE, or DESTROY under the app-level double opt-in (see removal.ts); DESTROY without it and plain RETAIN are refused. @default by the opt-in */
  readonly removalPolicy?: RemovalPolicy;
}

const ACCEPTED = new Set<number>(Object.values(RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0 && v < 999999));

/**
 * The one way this project creates a log group: KMS-encrypted, with retention, and retained with the stack (audit
 * evidence outlives a deploy) unless the app opted in to destroying data.
 */
export function encryptedLogGroup(scope: Construct, id: string, props: EncryptedLogGroupProps): LogGroup {
  if (!ACCEPTED.has(props.retentionDays)) {
    const accepted = [...ACCEPTED].sort((a, b) => a - b).join(', ');
    throw new ConfigurationError(`${scope.node.path}/${id}`, [{
      path: 'retentionDays',
      problem: `${props.retentionDays} is not a retention CloudWatch Logs accepts`,
      fix: `use one of ${accepted}`,
    }]);
  }
  return new LogGroup(scope, id, {
    encryptionKey: props.key,
    retention: props.retentionDays as RetentionDays,
    removalPolicy: dataRemovalPolicy(scope, props.removalPolicy, 'removalPolicy'),
    ...(props.logGroupName !== undefined ? { logGroupName: props.logGroupName } : {}),
  });
}
