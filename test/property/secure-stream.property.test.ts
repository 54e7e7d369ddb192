/**
 * SecureStream with random props: plaintext listeners, unauthenticated or public access, truthy non-booleans,
 * Kafka versions the topic API cannot serve, bad cluster names, careless profiles and datasets are refused naming
 * each; valid ones build, and a handful synthesize a template that passes every pack.
 */
import fc from 'fast-check';
import { PROFILES } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { SecureStream, SecureStreamProps } from '../../lib/constructs/streaming/secure-stream';
import { constructProperties, notBoolean, notString, platform, Platform, PropSpec, validDatasets, validProfile } from './support/props';

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
    topicScope: { good: fc.constant(undefined), bad: fc.constantFrom('Stack', 3, {}) },
    clusterName: { good: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/), bad: fc.oneof(notString, fc.constantFrom('1abc', 'bad_name', '', 'x'.repeat(56))) },
    kafkaVersion: { good: fc.constantFrom('3.6.0', '3.7.x', '3.8.x'), bad: fc.oneof(notString, fc.constantFrom('2.8.1', 'latest', '3.8', '')) },
    clientBroker: { good: fc.constant('TLS'), bad: fc.oneof(notString, fc.constantFrom('PLAINTEXT', 'TLS_PLAINTEXT', 'tls')) },
    inClusterEncryption: flag(true),
    unauthenticated: flag(false),
    scram: flag(false),
    tlsClientCertificates: flag(false),
    publicAccess: flag(false),
  };
}

constructProperties<Platform, Props>('SecureStream', {
  setup: (stack) => platform(stack),
  specs: ({ network, keys }) => specs(network, keys),
  build: (stack, id, props) => new SecureStream(stack, id, props as unknown as SecureStreamProps),
  synthesize: (stack, props) => new SecureStream(stack, 'Stream', { ...(props as unknown as SecureStreamProps), ...platform(stack) }),
  share: 0.5,
});
