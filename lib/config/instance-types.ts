/**
 * Instance types the pipeline may ask for, kept in one place so a profile is checked at synth rather than by
 * CloudFormation ("RDS does not support creating a DB instance with the following combination..."). Pure.
 */

/** Sizes of a family, smallest first. */
function family(prefix: string, sizes: readonly string[]): string[] {
  return sizes.map((size) => `${prefix}.${size}`);
}

const GRAVITON_SIZES = ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'];

/**
 * DB instance classes (without the `db.` prefix) that RDS offers for PostgreSQL 18, the engine SecureDatabase runs.
 *
 * Source: "Supported DB engines for DB instance classes",
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.DBInstanceClass.Support.html, looked up on
 * 2026-12-02. The stored copy searchable from here showed only the page's introduction, not the PostgreSQL column,
 * so this list holds the current-generation families only and errs on refusing: the db.t3 classes (db.t3.micro
 * included) are left out because RDS does not offer them for PostgreSQL 18, and previous-generation, Optimized
 * Reads (…d) and network-optimized (…n) variants are left out until someone confirms them on that page. Check a
 * class for a region with
 * `aws rds describe-orderable-db-instance-options --engine postgres --engine-version 18 --db-instance-class db.<class>`
 * and add it here with the date.
 */
export const POSTGRES_18_INSTANCE_CLASSES: ReadonlySet<string> = new Set([
  ...family('t4g', ['micro', 'small', 'medium', 'large', 'xlarge', '2xlarge']),
  ...family('m6g', GRAVITON_SIZES),
  ...family('m7g', GRAVITON_SIZES),
  ...family('m8g', [...GRAVITON_SIZES, '24xlarge', '48xlarge']),
  ...family('r6g', GRAVITON_SIZES),
  ...family('r7g', GRAVITON_SIZES),
  ...family('r8g', [...GRAVITON_SIZES, '24xlarge', '48xlarge']),
  ...family('m6i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge']),
  ...family('r6i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '32xlarge']),
  ...family('m7i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge']),
  ...family('r7i', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge', '48xlarge']),
]);

/**
 * Broker sizes of MSK provisioned clusters with Standard brokers (SecureStream sizes their EBS storage, which Express
 * brokers do not have). Source: "Amazon MSK broker sizes",
 * https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-sizes.html, looked up on 2026-12-02.
 */
export const MSK_STANDARD_BROKER_TYPES: ReadonlySet<string> = new Set([
  'kafka.t3.small',
  ...family('kafka.m5', ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge', '24xlarge']),
  ...family('kafka.m7g', GRAVITON_SIZES),
]);
