/**
 * SecureNetwork with random props (validation only; the CIDR and bring-your-own VPC rules belong to the network
 * workstream): careless zone and NAT counts, truthy non-boolean egress, missing log keys, retentions CloudWatch
 * Logs refuses and malformed extra endpoints are refused naming each; valid ones build, and a handful synthesize
 * a template that passes every pack.
 */
import { InterfaceVpcEndpointAwsService } from 'aws-cdk-lib/aws-ec2';
import fc from 'fast-check';
import { resolveProfile } from '../../lib/config';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork, SecureNetworkProps } from '../../lib/constructs/network/secure-network';
import { constructProperties, notBoolean, notIntegerIn, PropSpec } from './support/props';

/**
 * keys and profile go together (the synthesis passes both); the existing-VPC props have tests of their own, and so do
 * availabilityZoneIds, which depend on azCount (test/unit/zones.test.ts).
 */
type Props = Record<Exclude<keyof SecureNetworkProps, 'availabilityZoneIds' | 'existingVpc' | 'dataSubnets' | 'computeSubnets' | 'egressSubnets' | 'existingEndpointSecurityGroup' | 'keys' | 'profile'>, unknown>;

function specs(keys: DataKeys): { [K in keyof Props]: PropSpec } {
  return {
    logKey: { good: fc.constant(keys.audit), bad: fc.constantFrom({}, 'alias/audit', 42, keys), optional: false },
    flowLogRetentionDays: { good: fc.constantFrom(90, 365, 731, 1827), bad: fc.constantFrom(0, 2, 100, -1, '90', 1.5, 999999), optional: false },
    azCount: { good: fc.integer({ min: 2, max: 3 }), bad: notIntegerIn(2, 6) },
    cidr: { good: fc.constantFrom('10.40.0.0/16', '10.0.0.0/16', '172.16.0.0/18'), bad: fc.constantFrom('10.0.0.0/8', '10.0.0.0/24', 'abc', 42, '300.1.1.1/16') },
    egress: { good: fc.boolean(), bad: notBoolean },
    natGateways: { good: fc.integer({ min: 1, max: 2 }), bad: notIntegerIn(1, 6) },
    s3PrefixListId: { good: fc.constantFrom('pl-6da54004', 'pl-0123456789abcdef0'), bad: fc.constantFrom('pl-XYZ', 'sg-0123456789abcdef0', 42, '') },
    egressDomains: {
      good: fc.constantFrom([], ['api.example.com'], ['auth.example.org', 'data.example.net'], ['203.0.113.7']),
      bad: fc.constantFrom(['*'], ['*.amazonaws.com'], ['https://api.example.com'], 'api.example.com', [42], ['*.com']),
    },
    additionalInterfaceEndpoints: {
      good: fc.constantFrom({}, { Ssm: InterfaceVpcEndpointAwsService.SSM }, { Ecr: InterfaceVpcEndpointAwsService.ECR, EcrDocker: InterfaceVpcEndpointAwsService.ECR_DOCKER }),
      bad: fc.constantFrom({ 'bad-name': InterfaceVpcEndpointAwsService.SSM }, { Kms: InterfaceVpcEndpointAwsService.KMS }, { Ssm: 'ssm' }, 'ssm', [InterfaceVpcEndpointAwsService.SSM]),
    },
  };
}

constructProperties<DataKeys, Props>('SecureNetwork', {
  setup: (stack) => new DataKeys(stack, 'Keys'),
  specs,
  build: (stack, id, props) => new SecureNetwork(stack, id, props as unknown as SecureNetworkProps),
  synthesize: (stack, props) => {
    const keys = new DataKeys(stack, 'Keys');
    const given = props as unknown as SecureNetworkProps;
    // The deploy-time function needs keys and a profile, and an egress tier or the S3 prefix list to answer from.
    new SecureNetwork(stack, 'Net', {
      ...given, logKey: keys.audit, keys, profile: resolveProfile('dev'),
      ...(given.egress || given.s3PrefixListId ? {} : { s3PrefixListId: 'pl-6da54004' }),
    });
  },
  share: 0.5,
});
