/** Custom resource handler of SecureNetwork: answers CloudFormation itself (no Provider framework). */
import { EC2 } from '@aws-sdk/client-ec2';
import { withCloudFormationResponse } from '../shared/cfn-response';
import { createOnEvent } from './custom-resource';

export const handler = withCloudFormationResponse(createOnEvent(new EC2({})));
