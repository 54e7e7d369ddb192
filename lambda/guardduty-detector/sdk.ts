/**
 * The SDK's GuardDuty client as a GuardDutyApi. The SDK types frequencies and feature names as string unions; the
 * logic passes the values the construct wrote, which GuardDuty itself validates, hence the input casts here only.
 */
import type {
  CreateDetectorCommandInput,
  CreateMalwareProtectionPlanCommandInput,
  GuardDuty,
  UpdateDetectorCommandInput,
  UpdateMalwareProtectionPlanCommandInput,
} from '@aws-sdk/client-guardduty';
import type { GuardDutyApi } from './guardduty-api';

export function guardDutyApi(client: GuardDuty): GuardDutyApi {
  return {
    listDetectors: (input) => client.listDetectors(input),
    createDetector: (input) => client.createDetector(input as CreateDetectorCommandInput),
    getDetector: (input) => client.getDetector(input),
    updateDetector: (input) => client.updateDetector(input as UpdateDetectorCommandInput),
    deleteDetector: (input) => client.deleteDetector(input),
    createMalwareProtectionPlan: (input) => client.createMalwareProtectionPlan(input as CreateMalwareProtectionPlanCommandInput),
    getMalwareProtectionPlan: (input) => client.getMalwareProtectionPlan(input),
    updateMalwareProtectionPlan: (input) => client.updateMalwareProtectionPlan(input as UpdateMalwareProtectionPlanCommandInput),
    deleteMalwareProtectionPlan: (input) => client.deleteMalwareProtectionPlan(input),
  };
}
