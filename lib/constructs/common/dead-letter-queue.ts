import { Duration } from 'aws-cdk-lib';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { acknowledge } from '../../compliance/acknowledge';
import { dataRemovalPolicy } from './removal';
import { tagClassification } from './tags';

export interface DeadLetterQueueProps {
  /** Encrypts the messages; the services that write them must be able to use it. */
  readonly key: IKey;
  readonly classification: Classification;
  /** What ends up here, for the acknowledgement reason, e.g. "failed asynchronous invocations of ...". */
  readonly receives: string;
  /**
   * Whether AwsSolutions-SQS3 sees this queue as a dead-letter queue: it does for a Lambda dead-letter config or a
   * queue's redrive policy, not for EventBridge targets or SNS subscriptions, whose queue needs that rule acknowledged.
   */
  readonly recognisedAsDeadLetterQueue: boolean;
}

/**
 * The one way this project creates a dead-letter queue: KMS-encrypted, TLS-only, 14 days of retention, tagged, and
 * retained with the stack unless the app opted in to destroying data: its messages are the only copy of what failed.
 * A dead-letter queue has no dead-letter queue of its own, so the redrive rules are acknowledged here, once.
 */
export function encryptedDeadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: dataRemovalPolicy(scope, undefined, 'removalPolicy'),
  });
  tagClassification(queue, props.classification);
  const reason = `This queue is itself a dead-letter destination (${props.receives}); messages stay 14 days, and a further queue would only move them one hop on`;
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', reason);
  if (!props.recognisedAsDeadLetterQueue) acknowledge(queue, 'AwsSolutions-SQS3', reason);
  return queue;
}
