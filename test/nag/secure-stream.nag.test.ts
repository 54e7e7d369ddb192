/**
 * DataKeys + SecureNetwork + SecureStream with a producer and a consumer under every pack: nothing unacknowledged,
 * and every acknowledgement (if any) still matches a real finding on exactly its resource.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Connections } from 'aws-cdk-lib/aws-ec2';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { loadDatasetsConfig, resolveProfile } from '../../lib/config';
import { ManagedPolicyRole } from '../../lib/constructs/common/managed-policy-role';
import { ISOLATED_TIER, tieredSecurityGroup } from '../../lib/constructs/common/security-group';
import { DataKeys } from '../../lib/constructs/keys/data-keys';
import { SecureNetwork } from '../../lib/constructs/network/secure-network';
import { SecureStream } from '../../lib/constructs/streaming/secure-stream';
import { ComplianceResult, EXAMPLE_DATASETS, expectAcknowledgementsMatchFindings, expectNoFindings, synthAndAudit, synthWithCompliance } from '../helpers/app';

function buildStreamStack(app: App, profileName: string): SecureStream {
  const profile = resolveProfile(profileName);
  const stack = new Stack(app, `Stream-${profileName}`);
  const keys = new DataKeys(stack, 'Keys');
  const network = new SecureNetwork(stack, 'Network', {
    logKey: keys.audit, flowLogRetentionDays: profile.platformLogRetentionDays, azCount: profile.azCount, keys, profile, s3PrefixListId: 'pl-6da54004',
  });
  const stream = new SecureStream(stack, 'Stream', { network, keys, profile, datasets: loadDatasetsConfig(EXAMPLE_DATASETS) });
  const client = (id: string) => {
    const role = new ManagedPolicyRole(stack, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `${id} of the stream` });
    // Through the project's factory: a plain CDK group loses its inline egress once the broker grant adds one.
    const sg = tieredSecurityGroup(stack, `${id}SecurityGroup`, { vpc: network.vpc, tier: ISOLATED_TIER, description: `${id} of the stream` });
    return { grantPrincipal: role, connections: new Connections({ securityGroups: [sg] }) };
  };
  stream.grantProduce(client('Producer'), 'patient_visits.clean');
  stream.grantConsume(client('Consumer'), 'patient_visits.clean', 'patient_visits.store');
  return stream;
}

describe.each(['dev', 'prod'])('SecureStream (%s) under every pack', (profile) => {
  let result: ComplianceResult;
  let audit: ComplianceResult;
  beforeAll(() => {
    ({ result, audit } = synthAndAudit((app) => buildStreamStack(app, profile), { profile }));
  });

  test('zero unacknowledged errors and warnings', () => expectNoFindings(result));

  test('every acknowledgement silences a finding that really exists on its resource, and nothing else is wrong', () => {
    expectAcknowledgementsMatchFindings(result, audit);
    // Only those every PipelineFunction brings (the network's and the broker-lookup custom-resource functions here:
    // shared policy and queue, and no reserved concurrency); the cluster has none.
    // A new acknowledgement must show up here as a reviewed change.
    expect(result.acknowledgements.map((a) => `${a.id} @ ${a.path}`)).toEqual([
      `HIPAA.Security::HIPAA.Security-LambdaConcurrency @ Stream-${profile}/Network/CustomResources/Function/Function/Resource`,
      `NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency @ Stream-${profile}/Network/CustomResources/Function/Function/Resource`,
      `AwsSolutions::AwsSolutions-IAM5[Resource::*] @ Stream-${profile}/PipelineFunctionBasePolicy/Resource`,
      `Serverless::Serverless-SQSRedrivePolicy @ Stream-${profile}/PipelineFunctionDeadLettersInternal/Resource`,
      `HIPAA.Security::HIPAA.Security-LambdaConcurrency @ Stream-${profile}/Stream/BrokersLookup/Function/Resource`,
      `NIST.800.53.R5::NIST.800.53.R5-LambdaConcurrency @ Stream-${profile}/Stream/BrokersLookup/Function/Resource`,
    ]);
  });
});

test('control: the packs do inspect this cluster (plaintext and unlogged settings forced on the L1 are reported)', () => {
  const weakened = synthWithCompliance((app) => {
    const stream = buildStreamStack(app, 'dev');
    // The rules read the L1's properties, so weaken those (what an escape hatch on the L1 would do).
    stream.cluster.encryptionInfo = { encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: false } };
    stream.cluster.loggingInfo = { brokerLogs: { cloudWatchLogs: { enabled: false } } };
  }, { profile: 'dev' });
  const ids = weakened.findings.filter((f) => f.path.endsWith('/Stream/Cluster')).map((f) => f.ruleId).sort();
  expect(ids).toEqual(['AwsSolutions-MSK2', 'AwsSolutions-MSK3', 'AwsSolutions-MSK6']);
  expect(weakened.error).toBeDefined();
});
