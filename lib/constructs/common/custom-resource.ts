/** How long CloudFormation waits for one of our Lambda-backed custom resources. */
import { Duration } from 'aws-cdk-lib';

/**
 * Time allowed on top of the handler's timeout: CloudFormation invokes the function asynchronously, so the request
 * may queue briefly before it runs, and the answer is a PUT to S3 after the work.
 */
export const SERVICE_TIMEOUT_HEADROOM = Duration.minutes(1);

/**
 * The `ServiceTimeout` of a custom resource served by a function with `handlerTimeout`. The handler answers FAILED
 * before its own timeout (lambda/shared/cfn-response.ts), so this only bounds the wait when no answer can come at
 * all (the function never started, or crashed): minutes, instead of CloudFormation's default hour. The value must
 * be 1–3600 s. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html
 */
export function customResourceServiceTimeout(handlerTimeout: Duration): Duration {
  return Duration.seconds(Math.min(3600, handlerTimeout.toSeconds() + SERVICE_TIMEOUT_HEADROOM.toSeconds()));
}
