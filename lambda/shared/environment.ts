/**
 * Reading a stage's environment variables with every problem collected and thrown once (a ConfigurationError
 * naming each variable and the fix). Values are echoed only for names that are not secret by construction
 * (bucket names, identifiers); nothing here is meant to hold a secret.
 */
import { ProblemCollector } from '../../lib/errors';

export type Env = Readonly<Record<string, string | undefined>>;

/** Dataset names as the datasets config allows them (lib/config/datasets.ts). */
export const DATASET_NAME = /^[a-z][a-z0-9_]{1,39}$/;
/** PostgreSQL identifiers the bootstrap creates (lower_snake_case, at most 63 characters). */
export const SQL_IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;
/** S3 bucket names (general purpose buckets). */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A KMS key or alias ARN. */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_+=,.@-]+$/;
/**
 * The key of an SSE-KMS write: a key ARN, never an alias. The buckets' policies compare the
 * x-amz-server-side-encryption-aws-kms-key-id header, as text, with the bucket key's ARN.
 */
export const SSE_KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

export class EnvReader {
  private readonly problems: ProblemCollector;

  constructor(
    private readonly env: Env,
    context: string,
  ) {
    this.problems = new ProblemCollector(context);
  }

  /** A required variable matching `pattern`. */
  required(name: string, pattern: RegExp, what: string): string {
    const value = this.env[name]?.trim();
    if (!value) {
      this.problems.add(name, 'is not set', `set it to ${what}`);
      return '';
    }
    if (!pattern.test(value)) this.problems.add(name, `"${value}" is not ${what}`, `set it to ${what}`);
    return value;
  }

  /** An optional variable matching `pattern`; undefined when unset or empty. */
  optional(name: string, pattern: RegExp, what: string): string | undefined {
    const value = this.env[name]?.trim();
    if (!value) return undefined;
    if (!pattern.test(value)) this.problems.add(name, `"${value}" is not ${what}`, `set it to ${what} or leave it unset`);
    return value;
  }

  /** An optional integer in [min, max], or `fallback` when unset. */
  integer(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.add(name, `"${raw}" is not an integer from ${min} to ${max}`, `set it to an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** AWS_REGION (set by Lambda) or AWS_DEFAULT_REGION. */
  region(): string {
    const region = this.env.AWS_REGION?.trim() || this.env.AWS_DEFAULT_REGION?.trim() || '';
    if (!region) this.problems.add('AWS_REGION', 'is not set', 'run in Lambda (which sets it) or set AWS_REGION');
    return region;
  }

  /** Throws one ConfigurationError listing every problem found so far. */
  done(): void {
    this.problems.throwIfAny();
  }
}
