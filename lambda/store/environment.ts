/** The store function's environment variables, checked together so one error lists every problem. */
import { BUCKET_NAME, DATASET_NAME, Env, EnvReader, SSE_KMS_KEY_ARN } from '../shared/environment';

export interface StoreSettings {
  /** The dataset this function stores; records naming another dataset are quarantined. */
  readonly dataset: string;
  /** The curated bucket of the dataset's classification. */
  readonly curatedBucket: string;
  /** The classification's KMS key, sent as the SSE-KMS key of every curated object. */
  readonly curatedKeyArn: string;
  readonly quarantineBucket: string;
  /** The quarantine bucket's KMS key, sent as the SSE-KMS key of every quarantined object. */
  readonly quarantineKeyArn: string;
}

export function parseStoreSettings(env: Env): StoreSettings {
  const read = new EnvReader(env, 'Store function environment');
  const dataset = read.required('DATASET', DATASET_NAME, 'the dataset name (lower_snake_case, as in the datasets config)');
  const curatedBucket = read.required('CURATED_BUCKET', BUCKET_NAME, 'the name of the curated bucket of the dataset\'s classification');
  const curatedKeyArn = read.required('CURATED_KEY_ARN', SSE_KMS_KEY_ARN, 'the key ARN (not an alias) of the classification\'s KMS key');
  const quarantineBucket = read.required('QUARANTINE_BUCKET', BUCKET_NAME, 'the name of the quarantine bucket');
  const quarantineKeyArn = read.required('QUARANTINE_KEY_ARN', SSE_KMS_KEY_ARN, 'the key ARN (not an alias) of the quarantine bucket\'s KMS key');
  read.done();
  return { dataset, curatedBucket, curatedKeyArn, quarantineBucket, quarantineKeyArn };
}
