/** Custom resource: returns BootstrapBrokerStringSaslIam for ResourceProperties.ClusterArn. */
import { withCloudFormationResponse } from '../shared/cfn-response';
import { createKafkaClient, createOnEvent } from './brokers';

export const handler = withCloudFormationResponse(createOnEvent(createKafkaClient()));
