/**
 * The network's deploy-time work, one function for two custom resources (ResourceProperties.Action):
 * `LookUpS3PrefixList` returns `PrefixListId`; `RestrictDefaultSecurityGroup` closes the VPC's default group.
 * Delete does nothing: a prefix list lookup owns nothing, and a default group stays closed (it goes with its VPC).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceResult } from '../shared/cfn-response';
import { closeDefaultSecurityGroup } from './default-security-group';
import type { Ec2Api } from './ec2-api';
import { lookUpS3PrefixListId } from './prefix-list';

export const LOOK_UP_S3_PREFIX_LIST = 'LookUpS3PrefixList';
export const RESTRICT_DEFAULT_SECURITY_GROUP = 'RestrictDefaultSecurityGroup';

export function createOnEvent(ec2: Ec2Api) {
  return async (event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> => {
    const props = event.ResourceProperties as Record<string, unknown>;
    const action = String(props.Action ?? '');
    if (action === LOOK_UP_S3_PREFIX_LIST) {
      const region = String(props.Region ?? '');
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
      const id = await lookUpS3PrefixListId(ec2, region);
      return { PhysicalResourceId: `s3-prefix-list:${region}`, Data: { PrefixListId: id } };
    }
    if (action === RESTRICT_DEFAULT_SECURITY_GROUP) {
      const groupId = String(props.DefaultSecurityGroupId ?? '');
      if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
      await closeDefaultSecurityGroup(ec2, groupId, String(props.Account ?? ''));
      return { PhysicalResourceId: `default-security-group-closed:${groupId}` };
    }
    throw new Error(`Action must be ${LOOK_UP_S3_PREFIX_LIST} or ${RESTRICT_DEFAULT_SECURITY_GROUP}`);
  };
}
