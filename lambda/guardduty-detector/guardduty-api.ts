/**
 * The part of the GuardDuty API these custom resources call, typed narrowly so the logic takes any client with these
 * methods: the SDK's aggregated `GuardDuty` client in the function, aws-sdk-client-mock or a fake in tests.
 */
export interface DetectorFeature {
  readonly Name: string;
  readonly Status: string;
  readonly AdditionalConfiguration?: ReadonlyArray<{ Name: string; Status: string }>;
}

export interface GuardDutyApi {
  listDetectors(input: { NextToken?: string }): Promise<{ DetectorIds?: string[]; NextToken?: string }>;
  createDetector(input: {
    Enable: boolean;
    ClientToken?: string;
    FindingPublishingFrequency?: string;
    Features?: DetectorFeature[];
    Tags?: Record<string, string>;
  }): Promise<{ DetectorId?: string }>;
  /** CreatedAt is GuardDuty's timestamp text (ISO 8601). */
  getDetector(input: { DetectorId: string }): Promise<{ Status?: string; CreatedAt?: string; Tags?: Record<string, string> }>;
  updateDetector(input: { DetectorId: string; Enable?: boolean; FindingPublishingFrequency?: string; Features?: DetectorFeature[] }): Promise<unknown>;
  deleteDetector(input: { DetectorId: string }): Promise<unknown>;
  createMalwareProtectionPlan(input: {
    ClientToken?: string;
    Role: string;
    ProtectedResource: { S3Bucket: { BucketName: string } };
    Actions?: { Tagging?: { Status: string } };
    Tags?: Record<string, string>;
  }): Promise<{ MalwareProtectionPlanId?: string }>;
  getMalwareProtectionPlan(input: { MalwareProtectionPlanId: string }): Promise<{ Tags?: Record<string, string> }>;
  updateMalwareProtectionPlan(input: { MalwareProtectionPlanId: string; Role?: string; Actions?: { Tagging?: { Status: string } } }): Promise<unknown>;
  deleteMalwareProtectionPlan(input: { MalwareProtectionPlanId: string }): Promise<unknown>;
}

/** The error's name, or GuardDuty's `Type` field (a BadRequestException of type InvalidInputException), lower-cased. */
export function errorKinds(error: unknown): string[] {
  const e = error as { name?: unknown; Type?: unknown; __type?: unknown };
  return [e?.name, e?.Type, e?.__type].filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase());
}

/** GuardDuty reports a missing detector or plan as ResourceNotFoundException, or as a 400 naming it "not found". */
export function isNotFound(error: unknown): boolean {
  const kinds = errorKinds(error);
  const message = error instanceof Error ? error.message : '';
  return kinds.some((k) => k.includes('resourcenotfound')) || (kinds.includes('badrequestexception') && /not (be )?found|does not exist/i.test(message));
}
