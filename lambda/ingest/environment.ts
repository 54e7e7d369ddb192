/** The ingest function's environment variables, checked together so one error lists every problem. */
import type { DatasetConfig } from '../../lib/config/datasets';
import { ConfigurationError, ConfigurationProblem } from '../../lib/errors';
import { SSE_KMS_KEY_ARN } from '../shared/environment';
import { checkTopic, parseBrokers } from './kafka';

export interface IngestSettings {
  /** Absent when the dataset's source has no `auth`. */
  readonly apiCredentialSecretArn?: string;
  /** Present when the dataset tokenizes a field. */
  readonly tokenizationKeySecretArn?: string;
  /** Present when the dataset encrypts a field. */
  readonly dataKeyId?: string;
  readonly topic: string;
  readonly brokers: readonly string[];
  readonly quarantineBucket: string;
  /** The quarantine bucket's KMS key (full ARN), sent as the SSE-KMS key of every quarantine object. */
  readonly quarantineKeyArn: string;
  readonly watermarkTable: string;
  readonly region: string;
}

/** Placeholder in TOPIC replaced by the dataset name, so one function may serve several datasets. */
export const DATASET_PLACEHOLDER = '{dataset}';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Resolves the settings for `dataset`. API_CREDENTIAL_SECRET_ARN is required only when the source has `auth`;
 * TOKENIZATION_KEY_SECRET_ARN and DATA_KEY_ID only when the dataset has `tokenize` or `encrypt` fields.
 */
export function parseIngestSettings(env: Env, dataset: DatasetConfig): IngestSettings {
  const problems: ConfigurationProblem[] = [];
  const required = (name: string, what: string): string => {
    const value = env[name]?.trim();
    if (!value) problems.push({ path: name, problem: 'is not set', fix: `set it to ${what}` });
    return value ?? '';
  };
  const handlings = new Set(dataset.fields.map((f) => f.handling));
  const tokenizes = handlings.has('tokenize');
  const encrypts = handlings.has('encrypt');

  const apiCredentialSecretArn = dataset.source.auth
    ? required('API_CREDENTIAL_SECRET_ARN', 'the ARN of the source API credential secret (kept by the rotation function)')
    : undefined;
  const tokenizationKeySecretArn = tokenizes
    ? required('TOKENIZATION_KEY_SECRET_ARN', `the ARN of the tokenization key secret (dataset "${dataset.name}" tokenizes fields)`)
    : undefined;
  const dataKeyId = encrypts ? required('DATA_KEY_ID', `the KMS key for envelope encryption (dataset "${dataset.name}" encrypts fields)`) : undefined;
  const topicTemplate = required('TOPIC', `the Kafka topic, e.g. ${dataset.name}.clean or ${DATASET_PLACEHOLDER}.clean`);
  const brokersCsv = required('BOOTSTRAP_BROKERS', 'the SASL/IAM bootstrap brokers, host:9098 comma-separated');
  const quarantineBucket = required('QUARANTINE_BUCKET', 'the quarantine bucket name');
  const quarantineKeyArn = required('QUARANTINE_KEY_ARN', 'the ARN of the quarantine bucket\'s KMS key');
  if (quarantineKeyArn && !SSE_KMS_KEY_ARN.test(quarantineKeyArn)) {
    problems.push({ path: 'QUARANTINE_KEY_ARN', problem: 'is not a KMS key ARN (an alias is not accepted: the bucket policy compares the key ARN)', fix: 'set it to the ARN of the quarantine bucket\'s KMS key (arn:aws:kms:<region>:<account>:key/<id>)' });
  }
  const watermarkTable = required('WATERMARK_TABLE', 'the DynamoDB watermark table name');
  const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || '';
  if (!region) problems.push({ path: 'AWS_REGION', problem: 'is not set', fix: 'run in Lambda (which sets it) or set AWS_REGION' });

  let topic = '';
  let brokers: string[] = [];
  for (const check of [
    () => { if (topicTemplate) topic = checkTopic(topicTemplate.split(DATASET_PLACEHOLDER).join(dataset.name)); },
    () => { if (brokersCsv) brokers = parseBrokers(brokersCsv); },
  ]) {
    try {
      check();
    } catch (e) {
      if (!(e instanceof ConfigurationError)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length > 0) throw new ConfigurationError('Ingest function environment', problems);
  return {
    ...(apiCredentialSecretArn !== undefined ? { apiCredentialSecretArn } : {}),
    ...(tokenizationKeySecretArn !== undefined ? { tokenizationKeySecretArn } : {}),
    ...(dataKeyId !== undefined ? { dataKeyId } : {}),
    topic,
    brokers,
    quarantineBucket,
    quarantineKeyArn,
    watermarkTable,
    region,
  };
}
