import { RemovalPolicy } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Profile } from '../../config';
import { ConfigurationError } from '../../errors';

/** Context keys of the double opt-in that lets stateful resources be destroyed with the stack. */
export const PROFILE_CONTEXT = 'profile';
export const DESTROY_DATA_CONTEXT = 'destroyData';

/** True only when both `-c profile=dev` and `-c destroyData=true` are set (and no profile below forbids it). */
export function destroyDataAllowed(scope: IConstruct): boolean {
  const profile = scope.node.tryGetContext(PROFILE_CONTEXT) ?? 'dev';
  const destroy = scope.node.tryGetContext(DESTROY_DATA_CONTEXT);
  return profile === 'dev' && (destroy === true || destroy === 'true');
}

/**
 * Lets the profile a construct was built for veto the destroy opt-in for everything under `scope`. A team stack that
 * builds a prod pipeline in code under `-c destroyData=true`, without `-c profile=prod`, would otherwise read the
 * default profile (dev) from the context and destroy prod data. Call it before the construct creates children
 * (context can only be set on a node without children).
 */
export function applyProfileToRemoval(scope: IConstruct, profile: Profile | undefined): void {
  // Anything but an explicit allowDestroy (a hand-built or missing profile) keeps the data.
  if (profile?.allowDestroy !== true) scope.node.setContext(DESTROY_DATA_CONTEXT, false);
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
