/** Field protection for the pipeline stages: canonical values, masking, tokenization, envelope encryption, log redaction. */
export { canonicalString, isWellFormedText } from './canonical';
export { EnvelopeEncryptionError, FieldHandlingError, FieldHandlingSetupError, FieldValueError, TokenizationKeyError } from './errors';
export { mask, MASK_CHARACTER } from './mask';
export { MIN_TOKENIZATION_KEY_BYTES, parseTokenizationKeys, tokenize, TOKEN_PATTERN, verifyToken } from './tokenize';
export type { TokenizationKey, TokenizationKeySet } from './tokenize';
export { DEFAULT_MAX_DATA_KEY_AGE_MS, DEFAULT_MAX_RECORDS_PER_DATA_KEY, ENVELOPE_PREFIX, EnvelopeEncryptor } from './envelope';
export type { EncryptionScope, EnvelopeEncryptorProps, FieldEncryptor, KmsClientLike } from './envelope';
export { applyFieldHandlings } from './apply';
export type { FieldHandlingDeps, ProtectedRecord, ProtectedValue } from './apply';
export { logRecord, REDACTED, redactForLog } from './log-redaction';
export type { LoggableValue, RecordLogger, RecordLogLevel, RedactedRecord } from './log-redaction';
