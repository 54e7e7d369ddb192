/**
 * Errors raised while protecting field values. Messages name the dataset, field or setting and the fix, and never
 * contain the value being protected (they end up in logs and quarantine reasons).
 */

/** A value cannot be canonicalized, masked, tokenized or encrypted (wrong type, not well-formed text, …). */
export class FieldValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldValueError';
  }
}

/** A record cannot be protected according to its dataset config; the record belongs in quarantine. */
export class FieldHandlingError extends Error {
  constructor(
    public readonly dataset: string,
    public readonly field: string,
    reason: string,
  ) {
    super(`dataset "${dataset}", field "${field}": ${reason}`);
    this.name = 'FieldHandlingError';
  }
}

/**
 * The dataset config and the deps given do not fit (unknown handling, no key or encryptor for fields that need
 * one). A deployment fault, not the record's: retrying or quarantining will not help.
 */
export class FieldHandlingSetupError extends Error {
  constructor(dataset: string, problems: readonly string[]) {
    super(`Cannot protect records of dataset "${dataset}": ${problems.join('; ')}`);
    this.name = 'FieldHandlingSetupError';
  }
}

/** The tokenization key secret is malformed or too weak. */
export class TokenizationKeyError extends Error {
  constructor(problems: readonly string[]) {
    super(`Invalid tokenization key secret: ${problems.join('; ')}`);
    this.name = 'TokenizationKeyError';
  }
}

/** Envelope encryption or decryption failed (bad envelope, KMS refusal, wrong context, tampering). */
export class EnvelopeEncryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnvelopeEncryptionError';
  }
}
