/**
 * The real SDK endpoint resolution of the lookup's Kafka client (no mock of the client here): the request is stopped
 * by a middleware after the endpoint is resolved and signed, before anything reaches the network.
 *
 * The SDK's endpoint rules for Kafka name the dual-stack host `kafka-api.<region>.api.aws` (not `kafka.<region>…`):
 * the host the `aws.api.<region>.kafka-api` interface endpoint's private DNS answers for.
 */
import { GetBootstrapBrokersCommand } from '@aws-sdk/client-kafka';
import { createKafkaClient } from '../../../lambda/msk-bootstrap/brokers';

const CLUSTER = 'arn:aws:kafka:eu-west-1:111111111111:cluster/pipeline/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0-2';

test.each(['eu-west-1', 'us-east-2'])('in %s the client calls the dual-stack MSK API host kafka-api.<region>.api.aws, never kafka.<region>.amazonaws.com', async (region) => {
  const seen: string[] = [];
  const client = createKafkaClient({ region, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'fake' } });
  client.middlewareStack.add((_next) => async (args) => {
    seen.push((args.request as { hostname: string }).hostname);
    throw new Error('stopped before the network');
  }, { step: 'finalizeRequest', name: 'captureHost', priority: 'low' });
  await expect(client.send(new GetBootstrapBrokersCommand({ ClusterArn: CLUSTER }))).rejects.toThrow('stopped before the network');
  expect(seen).toEqual([`kafka-api.${region}.api.aws`]);
});
