import { RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ConfigurationError } from '../../errors';

/** Context keys of the double opt-in that lets stateful resources be destroyed with the stack. */
export const PROFILE_CONTEXT = 'profile';
export const DESTROY_DATA_CONTEXT = 'destroyData';

/** True only when both `-c profile=dev` and `-c destroyData=true` are set. */
export function destroyDataAllowed(scope: IConstruct): boolean {
  const profile = scope.node.tryGetContext(PROFILE_CONTEXT) ?? 'dev';
  const destroy = scope.node.tryGetContext(DESTROY_DATA_CONTEXT);
  return profile === 'dev' && (destroy === true || destroy === 'true');
}

/**
 * Removal policy of a data store: RETAIN unless the app opted in twice, and then DESTROY.
 * A DESTROY asked for in props without that opt-in is refused, naming the prop.
 */
export function dataRemovalPolicy(scope: IConstruct, requested: RemovalPolicy | undefined, prop: string): RemovalPolicy {
  const allowed = destroyDataAllowed(scope);
  if (requested === RemovalPolicy.DESTROY && !allowed) {
    throw new ConfigurationError(scope.node.path, [{
      path: prop,
      problem: 'DESTROY would delete stored data with the stack',
      fix: 'remove the prop (RETAIN is the default) or deploy with both -c profile=dev and -c destroyData=true',
    }]);
  }
  if (requested !== undefined && requested !== RemovalPolicy.DESTROY) return requested;
  return allowed ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}
