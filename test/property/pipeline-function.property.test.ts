/**
 * PipelineFunction with random props: careless ones (wrong types, out-of-range memory or timeout, reserved or
 * secret environment variables, missing references) are refused naming each; valid ones build, and a handful
 * synthesize a template that passes every pack.
 */
import { CustomResource, Duration } from 'aws-cdk-lib';
import fc from 'fast-check';
import { Classification, CLASSIFICATIONS } from '../../lib/classification';
import { PROFILES, resolveProfile } from '../../lib/config';
import { PipelineFunction, PipelineFunctionProps } from '../../lib/constructs/compute/pipeline-function';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { testStack } from '../helpers/app';
import {
  attempt, constructProperties, credentialUrl, expectOutcome, notBoolean, notIntegerIn, notString, platform, Platform, PropSpec, validProfile,
} from './support/props';

type Props = Record<keyof PipelineFunctionProps, unknown>;

function specs(network: SecureNetwork, keys: DataKeys): { [K in keyof Props]: PropSpec } {
  return {
    // The pipeline's own prebuilt handlers: any other source of code beside one is refused by name.
    builtInHandler: {
      good: fc.constantFrom('rotate-api-credential', 'msk-bootstrap'),
      bad: fc.oneof(notString, fc.constantFrom('missing', 'lambda/ingest/index.ts', '')),
      optional: false,
    },
    entry: { good: fc.constant(undefined), bad: fc.oneof(notString, fc.constantFrom('lambda/msk-bootstrap/index.ts', 'README.md', '')) },
    assetDirectory: { good: fc.constant(undefined), bad: fc.oneof(notString, fc.constantFrom('dist/lambda/store', 'lambda', '')) },
    projectRoot: { good: fc.constant(undefined), bad: fc.oneof(notString, fc.constantFrom('/no/such/project', '')) },
    depsLockFilePath: { good: fc.constant(undefined), bad: fc.oneof(notString, fc.constant('')) },
    handler: { good: fc.constant('handler'), bad: fc.oneof(notString, fc.constantFrom('', 'a handler', '1st')) },
    classification: { good: fc.constantFrom(...CLASSIFICATIONS), bad: fc.oneof(notString, fc.constantFrom('Secret', 'public', '')), optional: false },
    network: { good: fc.constant(network), bad: fc.constantFrom({}, 'vpc-123', null, keys), optional: false },
    keys: { good: fc.constant(keys), bad: fc.constantFrom({}, 'alias/x', null, network), optional: false },
    profile: {
      good: validProfile,
      bad: fc.constantFrom({}, null, 'dev', { ...PROFILES.dev, functionConcurrency: 0 }, { ...PROFILES.dev, databaseInstanceType: 't3.micro' }),
      optional: false,
    },
    internetAccess: { good: fc.boolean(), bad: notBoolean },
    memorySize: { good: fc.integer({ min: 128, max: 10240 }), bad: notIntegerIn(128, 10240) },
    timeout: {
      good: fc.integer({ min: 1, max: 900 }).map((s) => Duration.seconds(s)),
      bad: fc.constantFrom(Duration.millis(500), Duration.millis(1500), Duration.seconds(901), Duration.minutes(16), Duration.seconds(0), 30, '30s', null),
    },
    reservedConcurrency: { good: fc.integer({ min: 1, max: 100 }), bad: notIntegerIn(1, 1000) },
    concurrencyBound: {
      good: fc.constantFrom({ by: 'custom-resource' }, { by: 'sqs', maxConcurrency: 5 }, { by: 'kafka', partitions: 3, maxPollers: 3 }),
      bad: fc.constantFrom('sqs', null, { by: 'queue' }, { by: 'sqs', maxConcurrency: 1 }, { by: 'kafka', partitions: 3 }, { by: 'schedule' }),
    },
    environment: {
      good: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9]{1,8}_(NAME|ID|MODE|LEVEL|BUCKET)$/), fc.stringMatching(/^[a-z0-9 .-]{0,20}$/), { maxKeys: 4 }),
      bad: fc.oneof(
        fc.constantFrom({ AWS_REGION: 'eu-west-1' }, { 'BAD-NAME': 'x' }, { COUNT: 3 }, { DB_PASSWORD: 'hunter2' }, { X: 'y' }, 'A=B', [], { BIG: 'x'.repeat(5000) }),
        credentialUrl.map((url) => ({ SOURCE_URL: url })),
      ),
    },
    description: { good: fc.string({ maxLength: 100 }), bad: fc.oneof(notString, fc.string({ minLength: 257, maxLength: 300 })) },
    // Only with entry, which these props never give.
    externalModules: { good: fc.constant(undefined), bad: fc.constantFrom('@aws-sdk/*', [1], [''], {}, ['@aws-sdk/*']) },
  };
}

constructProperties<Platform, Props>('PipelineFunction', {
  setup: (stack) => platform(stack, true),
  specs: ({ network, keys }) => specs(network, keys),
  build: (stack, id, props) => new PipelineFunction(stack, id, props as unknown as PipelineFunctionProps),
  // Invoked as a custom resource's service token: the bound the template shows when nothing is reserved.
  synthesize: (stack, props) => {
    const fn = new PipelineFunction(stack, 'Fn', { ...(props as unknown as PipelineFunctionProps), ...platform(stack, true), concurrencyBound: { by: 'custom-resource' } });
    new CustomResource(stack, 'Uses', { serviceToken: fn.functionArn });
  },
});

test('the examples of the issue: 500 ms timeout, memory 64 and 20000, memory 256.5', () => {
  const stack = testStack();
  const base = { builtInHandler: 'msk-bootstrap' as const, classification: Classification.INTERNAL, profile: resolveProfile('dev'), ...platform(stack) };
  // A 500 ms timeout made aws-cdk-lib throw "cannot be converted into a whole number of seconds" before.
  expectOutcome(attempt(() => new PipelineFunction(stack, 'HalfSecond', { ...base, timeout: Duration.millis(500) })), ['timeout']);
  for (const memorySize of [64, 20000, 256.5]) {
    expectOutcome(attempt(() => new PipelineFunction(stack, `Memory${memorySize}`.replace('.', '_'), { ...base, memorySize })), ['memorySize']);
  }
});
