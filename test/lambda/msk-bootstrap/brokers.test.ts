/** MSK has no local equivalent: the Kafka control-plane API is faked at the SDK boundary (aws-sdk-client-mock). */
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createOnEvent } from '../../../lambda/msk-bootstrap/brokers';

const CLUSTER = 'arn:aws:kafka:eu-west-1:111111111111:cluster/pipeline/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-2';
const kafka = mockClient(KafkaClient);
afterEach(() => kafka.reset());

function event(type: 'Create' | 'Update' | 'Delete', clusterArn: unknown = CLUSTER) {
  return { RequestType: type, ResourceProperties: { ServiceToken: 'x', ClusterArn: clusterArn }, PhysicalResourceId: 'brokers:old' } as unknown as CloudFormationCustomResourceEvent;
}

test('faked Kafka API: returns the SASL/IAM brokers of exactly the given cluster', async () => {
  kafka.on(GetBootstrapBrokersCommand, { ClusterArn: CLUSTER }).resolves({ BootstrapBrokerStringSaslIam: 'b-1.x:9098,b-2.x:9098' });
  const out = await createOnEvent(new KafkaClient({}))(event('Create'));
  expect(out).toEqual({ PhysicalResourceId: `brokers:${CLUSTER}`, Data: { BootstrapBrokerStringSaslIam: 'b-1.x:9098,b-2.x:9098' } });
});

test('faked Kafka API: a cluster without IAM brokers fails clearly; a bad ARN is refused before any call', async () => {
  kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringTls: 'b-1.x:9094' });
  await expect(createOnEvent(new KafkaClient({}))(event('Update'))).rejects.toThrow(/no SASL\/IAM bootstrap brokers/);
  await expect(createOnEvent(new KafkaClient({}))(event('Create', 'arn:aws:s3:::bucket'))).rejects.toThrow(/not an MSK cluster ARN/);
  expect(kafka.commandCalls(GetBootstrapBrokersCommand)).toHaveLength(1);
});

test('faked Kafka API: Delete does nothing', async () => {
  await expect(createOnEvent(new KafkaClient({}))(event('Delete'))).resolves.toEqual({ PhysicalResourceId: 'brokers:old' });
  expect(kafka.calls()).toHaveLength(0);
});

test('faked Kafka API: the lookup passes the deadline signal to the SDK call', async () => {
  const controller = new AbortController();
  kafka.on(GetBootstrapBrokersCommand).resolves({ BootstrapBrokerStringSaslIam: 'b-1.x:9098' });
  const send = jest.fn(new KafkaClient({}).send.bind(new KafkaClient({})));
  await createOnEvent({ send } as unknown as KafkaClient)(event('Create'), controller.signal);
  expect(send.mock.calls[0]![1]).toEqual({ abortSignal: controller.signal });
});
