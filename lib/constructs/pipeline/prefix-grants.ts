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
  const reason = `${whyWildcard ?? 'Objects are named per batch, run or page when they are written'}; the wildcard stays inside this one prefix of this one bucket`;
  if (Stack.of(bucket) === stack) {
    const logicalId = stack.resolve(stack.getLogicalId(bucket.bucket.node.defaultChild as CfnBucket)) as string;
    acknowledge(fn.role.policy, `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${pattern}]`, reason);
    return;
  }
  // The bucket is in another stack (a dataset group's nested stack grants on the main stack's bucket): the ARN reaches
  // the policy as a parameter CDK names only when references are resolved, so the finding id is known only then.
  // Once: a forced second synth of the same app validates again.
  let acknowledged = false;
  stack.node.addValidation({
    validate: () => {
      if (!acknowledged) {
        acknowledge(fn.role.policy, `AwsSolutions-IAM5[Resource::${nagReference(stack, bucket.bucket.bucketArn)}/${pattern}]`, reason);
        acknowledged = true;
      }
      return [];
    },
  });
}

/** How cdk-nag writes a reference in a finding id: `<Id>` for a Ref (a resource or parameter), `<Id.Attr>` for GetAtt. */
function nagReference(stack: Stack, token: string): string {
  const resolved = stack.resolve(token) as { Ref?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof resolved.Ref === 'string') return `<${resolved.Ref}>`;
  const getAtt = resolved['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2) return `<${getAtt[0]}.${getAtt[1]}>`;
  throw new Error(`prefix grant on ${stack.node.path}: ${JSON.stringify(resolved)} is not a reference`);
}
