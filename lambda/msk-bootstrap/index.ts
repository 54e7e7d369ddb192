/** Custom resource: returns BootstrapBrokerStringSaslIam for ResourceProperties.ClusterArn. */
import { KafkaClient } from '@aws-sdk/client-kafka';
import { withCloudFormationResponse } from '../shared/cfn-response';
import { createOnEvent } from './brokers';

export const handler = withCloudFormationResponse(createOnEvent(new KafkaClient({})));
