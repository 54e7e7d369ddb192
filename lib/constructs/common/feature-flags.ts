/**
 * The aws-cdk feature flags our constructs rely on, pinned on the construct itself so the template does not depend on
 * the consuming app's cdk.json. A flag set on a construct's node is read by every L2 below it (FeatureFlags.of looks
 * the context up the tree, nearest first), so pinning it where our subtree starts wins over what the app sets.
 */
import { Construct } from 'constructs';

/** Server access logs are granted by a bucket policy to logging.s3.amazonaws.com, not the LogDeliveryWrite ACL. */
export const S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY = '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy';

/**
 * Off: with it on, `addToRolePolicy` on a Lambda function's role makes a new inline policy per statement (the packs
 * refuse inline policies); off, statements go to the role's one policy, which ManagedPolicyRole turns managed.
 */
export const LAMBDA_CREATE_NEW_POLICIES_WITH_ADD_TO_ROLE_POLICY = '@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy';

/**
 * Sets `flags` on `scope`'s node. Call it first thing in a constructor: context can only be set before the construct
 * has children.
 */
export function pinFeatureFlags(scope: Construct, flags: Readonly<Record<string, boolean>>): void {
  for (const [flag, value] of Object.entries(flags)) scope.node.setContext(flag, value);
}
