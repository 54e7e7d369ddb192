/**
 * SecureStream with random props: plaintext listeners, unauthenticated or public access, truthy non-booleans,
 * Kafka versions the topic API cannot serve, bad cluster names, careless profiles and datasets are refused naming
 * each; valid ones build, and a handful synthesize a template that passes every pack.
 */
import { Stack } from 'aws-cdk-lib';
import fc from 'fast-check';
import { PROFILES } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { SecureStream, SecureStreamProps } from '../../lib/constructs/streaming/secure-stream';
import { testStack } from '../helpers/app';
import {
  attempt, expectEveryPackPasses, expectOutcome, FEW, MANY, notBoolean, notString, PropSpec, propsOf, validDatasets, validProfile, withAnything,
} from './support/props';

type Props = Record<keyof SecureStreamProps, unknown>;

function flag(secure: boolean): PropSpec {
  return { good: fc.constant(secure), bad: fc.oneof(fc.constant(!secure), notBoolean) };
}

function specs(network: SecureNetwork, keys: DataKeys): { [K in keyof Props]: PropSpec } {
  return {
    network: { good: fc.constant(network), bad: fc.constantFrom({}, 'vpc-1', keys), optional: false },
    keys: { good: fc.constant(keys), bad: fc.constantFrom({}, 'alias/x', network), optional: false },
    profile: {
      good: validProfile,
      bad: fc.constantFrom({ ...PROFILES.dev, brokerInstanceType: 'kafka.t3.micro' }, { ...PROFILES.dev, brokersPerAz: 0 },
        { ...PROFILES.dev, topicPartitions: 1.5 }, { ...PROFILES.prod, brokerStorageGiB: 0 }, 'prod', {}),
      optional: false,
    },
    datasets: {
      good: validDatasets(3),
      bad: fc.constantFrom({ datasets: [] }, 'datasets', { datasets: [{ name: 'x' }] }, {}),
      optional: false,
    },
    clusterName: { good: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/), bad: fc.oneof(notString, fc.constantFrom('1abc', 'bad_name', '', 'x'.repeat(65))) },
    kafkaVersion: { good: fc.constantFrom('3.6.0', '3.7.x', '3.8.x'), bad: fc.oneof(notString, fc.constantFrom('2.8.1', 'latest', '3.8', '')) },
    clientBroker: { good: fc.constant('TLS'), bad: fc.oneof(notString, fc.constantFrom('PLAINTEXT', 'TLS_PLAINTEXT', 'tls')) },
    inClusterEncryption: flag(true),
    unauthenticated: flag(false),
    scram: flag(false),
    tlsClientCertificates: flag(false),
    publicAccess: flag(false),
  };
}

describe('SecureStream property', () => {
  let stack: Stack;
  let keys: DataKeys;
  let network: SecureNetwork;
  let count = 0;
  beforeAll(() => {
    stack = testStack();
    keys = new DataKeys(stack, 'Keys');
    network = new SecureNetwork(stack, 'Net', { logKey: keys.audit, flowLogRetentionDays: 90 });
  });

  test('careless props are refused naming each; valid ones build', () => {
    fc.assert(fc.property(propsOf<Props>(specs(network, keys)), ({ props, bad }) => {
      expectOutcome(attempt(() => new SecureStream(stack, `Stream${count++}`, props as unknown as SecureStreamProps)), bad);
    }), { numRuns: Math.ceil(MANY.numRuns / 2) });
  });

  test('arbitrary values give a ConfigurationError or a stream, never another error', () => {
    fc.assert(fc.property(propsOf<Props>(withAnything(specs(network, keys)), 0.4), ({ props }) => {
      attempt(() => new SecureStream(stack, `Any${count++}`, props as unknown as SecureStreamProps));
    }), { numRuns: Math.ceil(MANY.numRuns / 2) });
  });

  test('valid props synthesize a template that passes every pack', () => {
    fc.assert(fc.property(propsOf<Props>(specs(network, keys), 0), ({ props }) => {
      expectEveryPackPasses((s) => {
        const k = new DataKeys(s, 'Keys');
        const n = new SecureNetwork(s, 'Net', { logKey: k.audit, flowLogRetentionDays: 90 });
        new SecureStream(s, 'Stream', { ...(props as unknown as SecureStreamProps), keys: k, network: n });
      });
    }), FEW);
  });
});
