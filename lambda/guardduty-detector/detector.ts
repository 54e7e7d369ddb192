/**
 * The account's GuardDuty detector, adopted or created. GuardDuty allows one detector per account and region, and
 * organisation accounts usually have one already: Create adopts it if ListDetectors finds one (`adopted:<id>`),
 * otherwise creates one with the requested features (`created:<id>`), tagged with its owner stack (ownership.ts).
 * The event may be forged, so `created:<id>` proves nothing: Update and Delete first ask GuardDuty whether the
 * detector carries this stack's owner tag. Update changes only such a detector, and never disables a feature. Delete
 * removes only such a detector, and only under the destroy opt-in or within ROLLBACK_WINDOW_MS of its creation (the
 * construct's DeletionPolicy RetainExceptOnCreate makes CloudFormation call Delete only when rolling back the deploy
 * that created it); otherwise it keeps the detector, logs why and answers SUCCESS (a Delete must not block a stack).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { CustomResourceResult } from '../shared/cfn-response';
import { DetectorFeature, errorKinds, GuardDutyApi, isNotFound } from './guardduty-api';
import { isOwned, OWNER_TAG, ownerTags, Ownership, ROLLBACK_WINDOW_MS, tagCommandHint } from './ownership';

export const ADOPTED = 'adopted:';
export const CREATED = 'created:';
const DETECTOR_ID = /^[a-z0-9]{32}$/;
const FREQUENCIES = ['FIFTEEN_MINUTES', 'ONE_HOUR', 'SIX_HOURS'];

export interface DetectorSettings {
  readonly findingPublishingFrequency: string;
  readonly features: DetectorFeature[];
}

/** Reads and checks the resource properties: `FindingPublishingFrequency`, `Features` (JSON, as CloudFormation passes scalars as strings). */
export function detectorSettings(props: Record<string, unknown>): DetectorSettings {
  const frequency = String(props.FindingPublishingFrequency ?? '');
  if (!FREQUENCIES.includes(frequency)) throw new Error(`FindingPublishingFrequency must be one of ${FREQUENCIES.join(', ')}`);
  let features: unknown;
  try {
    features = JSON.parse(String(props.Features ?? '[]'));
  } catch {
    throw new Error('Features must be a JSON array of detector features');
  }
  if (!Array.isArray(features) || features.some((f) => typeof f?.Name !== 'string' || typeof f?.Status !== 'string')) {
    throw new Error('Features must be a JSON array of { Name, Status } objects');
  }
  return { findingPublishingFrequency: frequency, features: features as DetectorFeature[] };
}

async function listDetectorIds(guardDuty: GuardDutyApi): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const page = await guardDuty.listDetectors(token ? { NextToken: token } : {});
    ids.push(...(page.DetectorIds ?? []));
    token = page.NextToken;
  } while (token);
  return ids;
}

/** Adopts the detector GuardDuty already has, refusing a suspended one (its findings would never reach the alert topic). */
async function adopt(guardDuty: GuardDutyApi, id: string): Promise<CustomResourceResult> {
  const { Status: status } = await guardDuty.getDetector({ DetectorId: id });
  if (status !== 'ENABLED') {
    throw new Error(`GuardDuty detector ${id} of this account and region is suspended (status ${status ?? 'unknown'}), so no finding would be raised: ` +
      `enable it (aws guardduty update-detector --detector-id ${id} --enable) and deploy again`);
  }
  return { PhysicalResourceId: `${ADOPTED}${id}`, Data: { DetectorId: id, Adopted: 'true' } };
}

async function createOrAdopt(guardDuty: GuardDutyApi, event: CloudFormationCustomResourceEvent, settings: DetectorSettings, ownership: Ownership,
  signal?: AbortSignal): Promise<CustomResourceResult> {
  // Checked before any call: a detector without the owner tag could never be updated or deleted by this stack.
  const tags = ownerTags(ownership);
  const existing = await listDetectorIds(guardDuty);
  if (existing.length > 0) return adopt(guardDuty, existing[0]!);
  let id: string | undefined;
  try {
    // The request id makes a retried invocation of the same request return the same detector, not fail or make two.
    ({ DetectorId: id } = await guardDuty.createDetector({
      Enable: true,
      ClientToken: event.RequestId.slice(0, 64),
      FindingPublishingFrequency: settings.findingPublishingFrequency,
      Features: settings.features,
      Tags: tags,
    }));
  } catch (e) {
    // Someone else created one between our list and create: adopt it rather than fail.
    const now = errorKinds(e).includes('badrequestexception') ? await listDetectorIds(guardDuty) : [];
    if (now.length > 0) return adopt(guardDuty, now[0]!);
    throw e;
  }
  if (!id || !DETECTOR_ID.test(id)) throw new Error('CreateDetector answered without a detector id');
  if (signal?.aborted) {
    // The answer to CloudFormation is FAILED already (deadline): remove what it will never learn about.
    await guardDuty.deleteDetector({ DetectorId: id });
    throw new Error(`detector ${id} was created after the deadline and deleted again`);
  }
  return { PhysicalResourceId: `${CREATED}${id}`, Data: { DetectorId: id, Adopted: 'false' } };
}

/**
 * Features for UpdateDetector: only ENABLED ones (and their ENABLED additional configurations). Update never switches
 * anything off: a forged Update could otherwise disable detection, and switching a feature off is done in GuardDuty
 * by its owner. A feature left out of UpdateDetector keeps its current status.
 */
export function featuresToEnable(features: readonly DetectorFeature[]): DetectorFeature[] {
  return features.filter((f) => f.Status === 'ENABLED').map((f) => (f.AdditionalConfiguration === undefined ? f : {
    ...f, AdditionalConfiguration: f.AdditionalConfiguration.filter((c) => c.Status === 'ENABLED'),
  }));
}

/** Why an owned detector must not be deleted now, or undefined when it may be (destroy opt-in, or the rollback of its creation). */
function reasonToKeep(createdAt: string | undefined, ownership: Ownership): string | undefined {
  if (ownership.deleteDetectorWithStack) return undefined;
  const created = createdAt === undefined ? NaN : Date.parse(createdAt);
  if (!Number.isNaN(created) && ownership.now() - created < ROLLBACK_WINDOW_MS) return undefined;
  return `it was created ${Number.isNaN(created) ? 'at an unknown time' : `at ${createdAt}`}, more than ${ROLLBACK_WINDOW_MS / 3_600_000} h ago (not the rollback of its creation), ` +
    'and the stack keeps its detector (deploy with -c profile=dev -c destroyData=true to delete it with the stack)';
}

async function deleteCreated(guardDuty: GuardDutyApi, id: string, ownership: Ownership): Promise<void> {
  let detector: Awaited<ReturnType<GuardDutyApi['getDetector']>>;
  try {
    detector = await guardDuty.getDetector({ DetectorId: id });
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  if (!isOwned(detector.Tags, ownership)) {
    ownership.log(`Delete: detector ${id} kept: it does not carry the tag ${OWNER_TAG} of this stack, so this stack did not create it`);
    return;
  }
  const keep = reasonToKeep(detector.CreatedAt, ownership);
  if (keep) {
    ownership.log(`Delete: detector ${id} kept: ${keep}`);
    return;
  }
  try {
    await guardDuty.deleteDetector({ DetectorId: id });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

export async function onDetectorEvent(guardDuty: GuardDutyApi, event: CloudFormationCustomResourceEvent, ownership: Ownership,
  signal?: AbortSignal): Promise<CustomResourceResult> {
  if (event.RequestType === 'Create') {
    return createOrAdopt(guardDuty, event, detectorSettings(event.ResourceProperties), ownership, signal);
  }
  const physicalId = event.PhysicalResourceId;
  const adoptedId = physicalId.startsWith(ADOPTED) ? physicalId.slice(ADOPTED.length) : undefined;
  const createdId = physicalId.startsWith(CREATED) ? physicalId.slice(CREATED.length) : undefined;
  if (event.RequestType === 'Delete') {
    // Only a detector this stack created (per GuardDuty's tags) goes; an adopted one, or a failed create (no detector), is left alone.
    if (createdId && DETECTOR_ID.test(createdId)) await deleteCreated(guardDuty, createdId, ownership);
    return { PhysicalResourceId: physicalId };
  }
  if (adoptedId && DETECTOR_ID.test(adoptedId)) {
    // The owner of an adopted detector configures it; nothing to change.
    return { PhysicalResourceId: physicalId, Data: { DetectorId: adoptedId, Adopted: 'true' } };
  }
  if (createdId && DETECTOR_ID.test(createdId)) {
    const settings = detectorSettings(event.ResourceProperties);
    const { Tags: tags } = await guardDuty.getDetector({ DetectorId: createdId });
    if (!isOwned(tags, ownership)) {
      throw new Error(`detector ${createdId} does not carry the tag ${OWNER_TAG} of this stack, so this stack did not create it: refusing to change it (${tagCommandHint(ownership, `detector/${createdId}`)})`);
    }
    await guardDuty.updateDetector({
      DetectorId: createdId, Enable: true, FindingPublishingFrequency: settings.findingPublishingFrequency, Features: featuresToEnable(settings.features),
    });
    return { PhysicalResourceId: physicalId, Data: { DetectorId: createdId, Adopted: 'false' } };
  }
  throw new Error(`physical id "${physicalId}" names no detector this resource adopted or created`);
}
