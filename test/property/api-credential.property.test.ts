/**
 * ApiCredential with random props: credential-bearing, plaintext-HTTP or malformed token and probe URLs,
 * credential values in props, rotation periods Secrets Manager cannot express and careless references are
 * refused naming each; valid ones build, and a handful synthesize a template that passes every pack.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import fc from 'fast-check';
import { PROFILES, resolveProfile } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { ApiCredential, ApiCredentialProps } from '../../lib/constructs/secrets/api-credential';
import { testStack } from '../helpers/app';
import {
  attempt, constructProperties, credentialUrl, expectOutcome, notString, plainHttpsUrl, platform, Platform, PropSpec, validProfile,
} from './support/props';

type Props = Record<keyof ApiCredentialProps, unknown>;

const url: PropSpec = {
  good: plainHttpsUrl,
  bad: fc.oneof(credentialUrl, plainHttpsUrl.map((u) => u.replace('https:', 'http:')), notString, fc.constantFrom('', 'api.example.com/token', 'https://')),
  optional: false,
};
const noCredential: PropSpec = { good: fc.constant(undefined), bad: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom(0, {}, [], 'x')) };

function specs(network: SecureNetwork, keys: DataKeys): { [K in keyof Props]: PropSpec } {
  return {
    keys: { good: fc.constant(keys), bad: fc.constantFrom({}, 'alias/x', network), optional: false },
    network: { good: fc.constant(network), bad: fc.constantFrom({}, 'vpc-1', keys), optional: false },
    profile: { good: validProfile, bad: fc.constantFrom({ ...PROFILES.dev, functionConcurrency: -1 }, 'dev', {}), optional: false },
    tokenUrl: url,
    probeUrl: url,
    scope: {
      good: fc.stringMatching(/^[a-z][a-z.:]{0,15}( [a-z][a-z.:]{0,15})?$/),
      bad: fc.oneof(notString, fc.constant('x'.repeat(1001)), fc.constant('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.signature')),
    },
    rotateEvery: {
      good: fc.oneof(fc.integer({ min: 4, max: 23 }).map((h) => Duration.hours(h)), fc.integer({ min: 1, max: 30 }).map((d) => Duration.days(d))),
      bad: fc.constantFrom(Duration.hours(1), Duration.hours(36), Duration.days(31), Duration.minutes(270), Duration.millis(500), 4, '4 hours'),
    },
    clientId: noCredential,
    clientSecret: noCredential,
    accessToken: noCredential,
    secretValue: noCredential,
  };
}

constructProperties<Platform, Props>('ApiCredential', {
  setup: (stack) => platform(stack, true),
  specs: ({ network, keys }) => specs(network, keys),
  build: (stack, id, props) => new ApiCredential(stack, id, props as unknown as ApiCredentialProps),
  synthesize: (stack, props) => new ApiCredential(stack, 'Cred', { ...(props as unknown as ApiCredentialProps), ...platform(stack, true) }),
});

test('a probe URL with ?api_key= never reaches the template (it used to land in the secret template and PROBE_URL)', () => {
  const stack = testStack();
  const outcome = attempt(() => new ApiCredential(stack, 'Cred', {
    ...platform(stack, true), profile: resolveProfile('dev'), tokenUrl: 'https://auth.example.com/token', probeUrl: 'https://api.example.com/ping?api_key=abc123',
  }));
  expectOutcome(outcome, ['probeUrl']);
  expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('abc123');
});

test('rotation rates are what Secrets Manager takes: hours below a day, singular for one day', () => {
  const rates = [[Duration.hours(4), 'rate(4 hours)'], [Duration.days(1), 'rate(1 day)'], [Duration.hours(48), 'rate(2 days)']] as const;
  for (const [rotateEvery, expected] of rates) {
    const stack = testStack();
    new ApiCredential(stack, 'Cred', { ...platform(stack, true), profile: resolveProfile('dev'), tokenUrl: 'https://a.example.com/t', probeUrl: 'https://a.example.com/p', rotateEvery });
    Template.fromStack(stack).hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: expected } });
  }
});
