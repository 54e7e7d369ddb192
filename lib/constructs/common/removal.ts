import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Profile } from '../../config';
import { ConfigurationError, describeValue } from '../../errors';

/** Context keys of the double opt-in that lets stateful resources be destroyed with the stack. */
export const PROFILE_CONTEXT = 'profile';
export const DESTROY_DATA_CONTEXT = 'destroyData';

/**
 * Metadata type on a stack whose data must never be destroyed, whatever the context says: a construct built for a
 * profile that forbids destroying (prod) puts it there.
 */
export const KEEP_DATA_METADATA = 'secure-data-pipeline:keepData';

/**
 * True only when both `-c profile=dev` and `-c destroyData=true` are set, and nothing in the stack was built for a
 * profile that forbids destroying data.
 */
export function destroyDataAllowed(scope: IConstruct): boolean {
  if (keepsData(Stack.of(scope))) return false;
  const profile = scope.node.tryGetContext(PROFILE_CONTEXT) ?? 'dev';
  const destroy = scope.node.tryGetContext(DESTROY_DATA_CONTEXT);
  return profile === 'dev' && (destroy === true || destroy === 'true');
}

/**
 * Lets the profile a construct is built for veto the destroy opt-in for its whole stack. A team stack that builds a
 * prod pipeline in code under `-c destroyData=true`, without `-c profile=prod`, would otherwise read the default
 * profile (dev) from the context and destroy prod data. The stack, not the construct's subtree, because shared parts
 * (the per-classification dead-letter queues) live at stack level; a stack is deployed and deleted as one. Call it
 * before the construct creates anything: what was created earlier has decided already.
 */
export function applyProfileToRemoval(scope: IConstruct, profile: Profile | undefined): void {
  // Anything but an explicit allowDestroy (a hand-built or missing profile) keeps the data.
  if (profile?.allowDestroy === true) return;
  const stack = Stack.of(scope);
  if (!keepsData(stack)) {
    stack.node.addMetadata(KEEP_DATA_METADATA, `${scope.node.path} is built for the ${profile?.name ?? 'unknown'} profile, which never destroys data`);
  }
}

function keepsData(stack: Stack): boolean {
  return stack.node.metadata.some((m) => m.type === KEEP_DATA_METADATA);
}

/**
 * Removal policy of a data store: RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate,
 * UpdateReplacePolicy Retain) unless the app opted in twice, and then DESTROY.
 *
 * RetainExceptOnCreate keeps the resource when the stack is deleted or the resource replaced or removed by an update,
 * but deletes it when the very stack operation that created it rolls back: a failed first deploy (or a failed update
 * that added it) leaves nothing behind, so a retry never meets an "already exists" from its own debris.
 *
 * Refused, naming the prop: DESTROY without the opt-in (it would delete stored data with the stack); plain RETAIN (a
 * failed first deploy would leave the resource behind, and one with a fixed name would block the retry;
 * RETAIN_ON_UPDATE_OR_DELETE keeps data in every other case); anything else (SNAPSHOT, values that are not a
 * RemovalPolicy). A requested DESTROY under the opt-in, or RETAIN_ON_UPDATE_OR_DELETE, is honoured.
 */
export function dataRemovalPolicy(scope: IConstruct, requested: RemovalPolicy | undefined, prop: string): RemovalPolicy {
  const allowed = destroyDataAllowed(scope);
  if (requested === RemovalPolicy.DESTROY && !allowed) {
    throw new ConfigurationError(scope.node.path, [{
      path: prop,
      problem: 'DESTROY would delete stored data with the stack',
      fix: 'remove the prop (RETAIN_ON_UPDATE_OR_DELETE is the default) or deploy with both -c profile=dev and -c destroyData=true',
    }]);
  }
  if (requested !== undefined && requested !== RemovalPolicy.DESTROY && requested !== RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE) {
    throw new ConfigurationError(scope.node.path, [{
      path: prop,
      problem: requested === RemovalPolicy.RETAIN
        ? 'RETAIN keeps the resource even when the deploy that created it fails, and the leftover can block the retry'
        : `${describeValue(requested)} is not a removal policy for stored data (kept with the stack, or destroyed under the opt-in)`,
      fix: 'remove the prop or use RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (the default: kept on stack deletion and replacement, '
        + 'deleted only when the deploy that created it rolls back)',
    }]);
  }
  // An explicit request to keep is honoured under the opt-in too (a team may keep its keys while tearing down).
  if (requested === RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE) return requested;
  return allowed ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
}
