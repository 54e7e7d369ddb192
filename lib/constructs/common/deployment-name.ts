/** Physical names that never collide with what an earlier deployment of the same stack left behind. */
import { Aws, Fn, Token } from 'aws-cdk-lib';

/** Characters of the stack id's UUID that make a name unique per deployment (one creation of the stack). */
export const DEPLOYMENT_SUFFIX_LENGTH = 8;

/**
 * The first 8 hex digits of the UUID in `AWS::StackId` (`arn:…:stack/<name>/<uuid>`), resolved at deploy time.
 * A stack keeps its id across updates, so a name built on it is stable for the life of the stack; a stack created
 * again (after a failed first create was deleted, or after the stack was deleted and its data retained) gets a new
 * id, so a retained resource of the earlier one never blocks the new one with "already exists".
 */
export function deploymentSuffix(): string {
  return Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
}

/**
 * `<base>-<suffix>`: `base` is a literal (lowercased, characters outside [a-z0-9-] become '-') cut so the whole
 * name fits `maxLength`. Use it for every physical name of a retained resource, or of a resource whose name a
 * retained resource (a log group) is derived from.
 */
export function deploymentUniqueName(base: string, maxLength: number): string {
  if (Token.isUnresolved(base)) throw new Error('deploymentUniqueName: base must be a literal string');
  const room = maxLength - DEPLOYMENT_SUFFIX_LENGTH - 1;
  if (room < 1) throw new Error(`deploymentUniqueName: maxLength ${maxLength} leaves no room for a base name`);
  const clean = base.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '').slice(0, room).replace(/-$/, '');
  return Fn.join('-', [clean || 'x', deploymentSuffix()]);
}
