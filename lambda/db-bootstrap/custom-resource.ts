/** Entry point of the bootstrap function: the onEvent handler, answering CloudFormation directly. */
import { withCloudFormationResponse } from '../shared/cfn-response';
import { handler as onEvent } from './index';

export const handler = withCloudFormationResponse(onEvent);
