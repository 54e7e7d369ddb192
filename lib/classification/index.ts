/**
 * The data classification model and the one decision table that turns a classification into controls.
 * Pure: no aws-cdk-lib import, so Lambda handlers may share it.
 */

export enum Classification {
  PUBLIC = 'Public',
  INTERNAL = 'Internal',
  RESTRICTED = 'Restricted',
}

export const CLASSIFICATIONS: readonly Classification[] = [
  Classification.PUBLIC,
  Classification.INTERNAL,
  Classification.RESTRICTED,
];

/** How a field's value is treated before it leaves the ingest stage. */
export type FieldHandling = 'keep' | 'mask' | 'tokenize' | 'encrypt' | 'drop';
export const FIELD_HANDLINGS: readonly FieldHandling[] = ['keep', 'mask', 'tokenize', 'encrypt', 'drop'];

export enum Persona {
  ADMIN = 'Admin',
  DATA_SCIENTIST = 'DataScientist',
  ANALYST = 'Analyst',
  VIEWER = 'Viewer',
}

/** Which customer-managed key protects data of a classification. */
export type KeyRole = 'public' | 'internal' | 'restricted';

/** Everything the classification decides. */
export interface ClassificationPolicy {
  readonly classification: Classification;
  /** The DataKeys key that encrypts stores, topics and secrets of this level. */
  readonly keyRole: KeyRole;
  /** KMS automatic rotation period, in days (KMS accepts 90–2560). */
  readonly keyRotationDays: number;
  /** CloudWatch Logs retention for logs that may describe this data, in days (a value CloudWatch accepts). */
  readonly logRetentionDays: number;
  /** How long overwritten or deleted object versions stay recoverable, in days. */
  readonly objectRetentionDays: number;
  /** Personas that may read the data (Analyst reads Restricted data only through masked views). */
  readonly readers: readonly Persona[];
  /** Personas that see Restricted fields only masked. */
  readonly maskedReaders: readonly Persona[];
  /** Handling applied to a field that does not declare one. */
  readonly defaultFieldHandling: FieldHandling;
  /** Handlings a field of this level may use. */
  readonly allowedFieldHandlings: readonly FieldHandling[];
}

const TABLE: Readonly<Record<Classification, ClassificationPolicy>> = {
  [Classification.PUBLIC]: {
    classification: Classification.PUBLIC,
    keyRole: 'public',
    keyRotationDays: 365,
    logRetentionDays: 90,
    objectRetentionDays: 30,
    readers: [Persona.ADMIN, Persona.DATA_SCIENTIST, Persona.ANALYST, Persona.VIEWER],
    maskedReaders: [],
    defaultFieldHandling: 'keep',
    allowedFieldHandlings: FIELD_HANDLINGS,
  },
  [Classification.INTERNAL]: {
    classification: Classification.INTERNAL,
    keyRole: 'internal',
    keyRotationDays: 180,
    logRetentionDays: 365,
    objectRetentionDays: 90,
    readers: [Persona.ADMIN, Persona.DATA_SCIENTIST, Persona.ANALYST],
    maskedReaders: [],
    defaultFieldHandling: 'keep',
    allowedFieldHandlings: FIELD_HANDLINGS,
  },
  [Classification.RESTRICTED]: {
    classification: Classification.RESTRICTED,
    keyRole: 'restricted',
    keyRotationDays: 90,
    logRetentionDays: 731,
    objectRetentionDays: 365,
    readers: [Persona.ADMIN, Persona.DATA_SCIENTIST],
    maskedReaders: [Persona.ANALYST],
    defaultFieldHandling: 'tokenize',
    allowedFieldHandlings: ['mask', 'tokenize', 'encrypt', 'drop'],
  },
};

/** Parses a classification name (case-insensitive) or throws naming the accepted values. */
export function parseClassification(value: string): Classification {
  const found = CLASSIFICATIONS.find((c) => c.toLowerCase() === value.trim().toLowerCase());
  if (!found) {
    throw new Error(`Unknown classification "${value}": use one of ${CLASSIFICATIONS.join(', ')}`);
  }
  return found;
}

/** The decision table: every control a classification implies. */
export function policyFor(classification: Classification): ClassificationPolicy {
  // Own properties only: a name such as "toString" must not find Object.prototype's member.
  const policy = Object.hasOwn(TABLE, classification) ? TABLE[classification] : undefined;
  if (!policy) {
    throw new Error(`Unknown classification "${String(classification)}": use one of ${CLASSIFICATIONS.join(', ')}`);
  }
  return policy;
}

/** Rank for comparisons: Public < Internal < Restricted. */
export function classificationRank(classification: Classification): number {
  return CLASSIFICATIONS.indexOf(classification);
}

/** Tag every data-holding resource carries, with the classification name as value. */
export const CLASSIFICATION_TAG = 'data-classification';
