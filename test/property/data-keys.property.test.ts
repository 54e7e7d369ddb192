/**
 * DataKeys with random props: removal policies CloudFormation cannot apply to a key, bad alias prefixes, pending
 * windows outside 7–30 days and careless existing keys are refused naming each; valid ones build, and a handful
 * synthesize a template that passes every pack.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import fc from 'fast-check';
import { DataKeys, DataKeysProps } from '../../lib/constructs/keys/data-keys';
import { constructProperties, notIntegerIn, notString, PropSpec } from './support/props';

type Props = Record<keyof DataKeysProps, unknown>;

function specs(existing: Key): { [K in keyof Props]: PropSpec } {
  return {
    aliasPrefix: {
      good: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}(\/[a-z0-9_-]{1,10})?$/).filter((p) => !p.startsWith('aws')),
      bad: fc.oneof(notString, fc.constantFrom('aws/keys', '/keys', 'keys/', 'a//b', 'has space', '', 'x'.repeat(201))),
    },
    existingKeys: {
      good: fc.constantFrom(undefined, {}, { audit: existing }, { restricted: existing, public: existing }),
      bad: fc.constantFrom({ secret: existing }, { restricted: 'arn:aws:kms:eu-west-1:111111111111:key/x' }, { internal: 42 }, 'key', [existing]),
    },
    removalPolicy: {
      good: fc.constantFrom(undefined, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE),
      // DESTROY without the app's double opt-in is refused as well, and plain RETAIN (it outlives a failed first deploy).
      bad: fc.constantFrom(RemovalPolicy.SNAPSHOT, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN, 'keep', 'Retain', 1, true),
    },
    pendingWindowDays: { good: fc.integer({ min: 7, max: 30 }), bad: notIntegerIn(7, 30) },
  };
}

constructProperties<Key, Props>('DataKeys', {
  setup: (stack) => new Key(stack, 'Existing', { enableKeyRotation: true }),
  specs,
  build: (stack, id, props) => new DataKeys(stack, id, props as DataKeysProps),
  // Keys brought from outside are the caller's to tag and rotate; the packs judge the keys this construct makes.
  synthesize: (stack, props) => new DataKeys(stack, 'Keys', { ...(props as DataKeysProps), existingKeys: undefined }),
});
