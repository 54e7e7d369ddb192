/**
 * Which GuardDuty detectors and plans this function may change or delete. The event cannot be trusted: anyone allowed
 * to invoke the function can forge one (CloudFormation signs only the response URL), so ownership is read from
 * GuardDuty itself: what this function creates carries the tag `secure-data-pipeline:owner` = the id of the stack
 * that deployed the function, which the function knows from its own environment (OWNER_STACK_ID), never from the event.
 */

export const OWNER_TAG = 'secure-data-pipeline:owner';
/** Set by the construct (lib/constructs/detection/guardduty-custom-resources.ts), not from the event. */
export const OWNER_STACK_ID_VARIABLE = 'OWNER_STACK_ID';
export const DELETE_DETECTOR_WITH_STACK_VARIABLE = 'DELETE_DETECTOR_WITH_STACK';
/**
 * A created detector younger than this may be deleted without the destroy opt-in: the Delete is then the rollback of
 * the deploy that created it (DeletionPolicy RetainExceptOnCreate sends no other Delete).
 */
export const ROLLBACK_WINDOW_MS = 6 * 60 * 60 * 1000;

const STACK_ID = /^arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[0-9a-f-]{36}$/;

export interface Ownership {
  /** The id of the stack that owns what this function creates; undefined when not configured (see `problem`). */
  readonly ownerStackId?: string;
  /** Why ownerStackId is undefined, with the fix. */
  readonly problem?: string;
  /** The destroy opt-in: a created, owned detector is deleted with the stack. */
  readonly deleteDetectorWithStack: boolean;
  /** Milliseconds since the epoch (tests pass a fixed clock). */
  readonly now: () => number;
  /** Where decisions not to act are reported (CloudWatch Logs through the console in Lambda). */
  readonly log: (message: string) => void;
}

/** Reads the function's environment once (index.ts). */
export function ownershipFromEnvironment(env: Readonly<Record<string, string | undefined>>, now: () => number = Date.now,
  log: (message: string) => void = (m) => console.warn(m)): Ownership {
  const stackId = env[OWNER_STACK_ID_VARIABLE]?.trim();
  const deleteDetectorWithStack = env[DELETE_DETECTOR_WITH_STACK_VARIABLE]?.trim() === 'true';
  const fix = 'the construct GuardDutyCustomResources sets it to the stack id (AWS::StackId); deploy the stack again rather than editing the function';
  if (!stackId) return { problem: `${OWNER_STACK_ID_VARIABLE} is not set: ${fix}`, deleteDetectorWithStack, now, log };
  if (!STACK_ID.test(stackId)) return { problem: `${OWNER_STACK_ID_VARIABLE} "${stackId}" is not a CloudFormation stack id: ${fix}`, deleteDetectorWithStack, now, log };
  return { ownerStackId: stackId, deleteDetectorWithStack, now, log };
}

/** The owner stack id, or an error naming the missing setting: nothing is created without the ownership tag. */
export function requireOwner(ownership: Ownership): string {
  if (!ownership.ownerStackId) throw new Error(`refusing to create anything without an owner tag: ${ownership.problem ?? `${OWNER_STACK_ID_VARIABLE} is not set`}`);
  return ownership.ownerStackId;
}

/** The tags that mark a resource as created by this stack's function. */
export function ownerTags(ownership: Ownership): Record<string, string> {
  return { [OWNER_TAG]: requireOwner(ownership) };
}

/** Whether GuardDuty's tags say this stack created the resource. Nothing is owned when no owner is configured. */
export function isOwned(tags: Readonly<Record<string, string>> | undefined, ownership: Ownership): boolean {
  return ownership.ownerStackId !== undefined && tags?.[OWNER_TAG] === ownership.ownerStackId;
}

/**
 * The command that marks a resource as this stack's, for the rare case where it is (created before owner tags
 * existed): the fix named when an Update is refused. The ARN's partition, region and account are the stack's.
 */
export function tagCommandHint(ownership: Ownership, resource: string): string {
  if (!ownership.ownerStackId) return `set ${OWNER_STACK_ID_VARIABLE} (${ownership.problem ?? 'not set'})`;
  const [, partition, , region, account] = ownership.ownerStackId.split(':');
  return `if this stack did create it, tag it: aws guardduty tag-resource --resource-arn arn:${partition}:guardduty:${region}:${account}:${resource} ` +
    `--tags '${OWNER_TAG}=${ownership.ownerStackId}'`;
}
