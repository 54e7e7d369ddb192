/** Custom resource handler of ThreatDetection: answers CloudFormation itself (no Provider framework). */
import { GuardDuty } from '@aws-sdk/client-guardduty';
import { withCloudFormationResponse } from '../shared/cfn-response';
import { createOnEvent } from './custom-resource';
import { ownershipFromEnvironment } from './ownership';
import { guardDutyApi } from './sdk';

export const handler = withCloudFormationResponse(createOnEvent(guardDutyApi(new GuardDuty({})), ownershipFromEnvironment(process.env)));
