/** Stage grants on one key prefix of a bucket: write or read objects, with the bucket's key used through S3. */
import { Stack } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { acknowledge } from '../../compliance/acknowledge';
import { arnParts } from '../common/arn-parts';
import { PipelineFunction } from '../compute/pipeline-function';
import { SecureBucket } from '../storage/secure-bucket';

/**
 * PutObject under `pattern` (e.g. `dataset=orders/*`) and data keys of the bucket's CMK through S3. `whyWildcard`
 * says why the objects cannot be named in advance. @default objects are named per batch, run or page
 */
export function grantPrefixWrite(fn: PipelineFunction, bucket: SecureBucket, pattern: string, whyWildcard?: string): void {
  Grant.addToPrincipal({ grantee: fn, actions: ['s3:PutObject'], resourceArns: [bucket.bucket.arnForObjects(pattern)] });
  grantKeyThroughS3(fn, bucket, ['kms:GenerateDataKey']);
  acknowledgePrefix(fn, bucket, pattern, whyWildcard);
}

/** GetObject (any version) under `pattern` and decryption with the bucket's CMK through S3. */
export function grantPrefixRead(fn: PipelineFunction, bucket: SecureBucket, pattern: string): void {
  Grant.addToPrincipal({ grantee: fn, actions: ['s3:GetObject', 's3:GetObjectVersion'], resourceArns: [bucket.bucket.arnForObjects(pattern)] });
  grantKeyThroughS3(fn, bucket, ['kms:Decrypt']);
  acknowledgePrefix(fn, bucket, pattern);
}

function grantKeyThroughS3(fn: PipelineFunction, bucket: SecureBucket, actions: string[]): void {
  Grant.addToPrincipal({
    grantee: fn, actions, resourceArns: [bucket.encryptionKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${arnParts(fn).region}.amazonaws.com` } },
  });
}

/** Object keys are made per batch or run when written: the wildcard stays inside one prefix of one bucket. */
function acknowledgePrefix(fn: PipelineFunction, bucket: SecureBucket, pattern: string, whyWildcard?: string): void {
  const stack = Stack.of(fn);
  const logicalId = stack.resolve(stack.getLogicalId(bucket.bucket.node.defaultChild as CfnBucket)) as string;
  acknowledge(fn.role.policy, `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${pattern}]`,
    `${whyWildcard ?? 'Objects are named per batch, run or page when they are written'}; the wildcard stays inside this one prefix of this one bucket`);
}
