/** Looks up the SASL/IAM bootstrap brokers of an MSK cluster, which CloudFormation does not return. */
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceResult } from '../shared/cfn-response';

export function createOnEvent(kafka: Pick<KafkaClient, 'send'>) {
  return async (event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> => {
    const clusterArn = String(event.ResourceProperties.ClusterArn ?? '');
    if (!/^arn:[a-z-]+:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/.test(clusterArn)) {
      throw new Error('ClusterArn is missing or is not an MSK cluster ARN');
    }
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const out = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }));
    const brokers = out.BootstrapBrokerStringSaslIam;
    if (!brokers) throw new Error('the cluster reports no SASL/IAM bootstrap brokers: is IAM client authentication enabled?');
    return { PhysicalResourceId: `brokers:${clusterArn}`, Data: { BootstrapBrokerStringSaslIam: brokers } };
  };
}
