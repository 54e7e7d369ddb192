/**
 * GuardDuty's deploy-time work, one function for two custom resources (ResourceProperties.Action): `Detector` adopts
 * or creates the account's detector (detector.ts); `MalwareProtectionPlan` creates a plan once its role works
 * (malware-plan.ts). `ownership` comes from the function's environment (ownership.ts), never from the event.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceResult } from '../shared/cfn-response';
import { onDetectorEvent } from './detector';
import type { GuardDutyApi } from './guardduty-api';
import { onPlanEvent, PlanOptions } from './malware-plan';
import type { Ownership } from './ownership';

export const DETECTOR = 'Detector';
export const MALWARE_PROTECTION_PLAN = 'MalwareProtectionPlan';

export function createOnEvent(guardDuty: GuardDutyApi, ownership: Ownership, planOptions: PlanOptions = {}) {
  return async (event: CloudFormationCustomResourceEvent, signal?: AbortSignal): Promise<CustomResourceResult> => {
    const action = String((event.ResourceProperties as Record<string, unknown>).Action ?? '');
    if (action === DETECTOR) return onDetectorEvent(guardDuty, event, ownership, signal);
    if (action === MALWARE_PROTECTION_PLAN) return onPlanEvent(guardDuty, event, ownership, signal, planOptions);
    throw new Error(`Action must be ${DETECTOR} or ${MALWARE_PROTECTION_PLAN}`);
  };
}
