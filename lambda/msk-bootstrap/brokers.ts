/** Looks up the SASL/IAM bootstrap brokers of an MSK cluster, which CloudFormation does not return. */
import { GetBootstrapBrokersCommand, KafkaClient, KafkaClientConfig } from '@aws-sdk/client-kafka';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceResult } from '../shared/cfn-response';

/**
 * The Kafka control-plane client on the dual-stack API host (the SDK's endpoint rules give
 * `kafka-api.<region>.api.aws`): the function runs in isolated subnets and reaches the API only through the
 * `aws.api.<region>.kafka-api` interface endpoint, which serves that host; the older `com.amazonaws.<region>.kafka`
 * endpoint service no longer accepts new connections.
 * https://docs.aws.amazon.com/msk/latest/developerguide/privatelink-vpc-endpoints.html
 */
export function createKafkaClient(config: Omit<KafkaClientConfig, 'useDualstackEndpoint'> = {}): KafkaClient {
  return new KafkaClient({ ...config, useDualstackEndpoint: true });
}

export function createOnEvent(kafka: Pick<KafkaClient, 'send'>) {
  return async (event: CloudFormationCustomResourceEvent, signal?: AbortSignal): Promise<CustomResourceResult> => {
    const clusterArn = String(event.ResourceProperties.ClusterArn ?? '');
    if (!/^arn:[a-z-]+:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/.test(clusterArn)) {
      throw new Error('ClusterArn is missing or is not an MSK cluster ARN');
    }
    if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
    const out = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn }), signal ? { abortSignal: signal } : {});
    const brokers = out.BootstrapBrokerStringSaslIam;
    if (!brokers) throw new Error('the cluster reports no SASL/IAM bootstrap brokers: is IAM client authentication enabled?');
    return { PhysicalResourceId: `brokers:${clusterArn}`, Data: { BootstrapBrokerStringSaslIam: brokers } };
  };
}
