import { Fn, Stack, StackProps, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Classification, CLASSIFICATIONS } from '../classification';
import { DatasetsConfig, Profile } from '../config';
import { SecureDatabase } from '../constructs/database/secure-database';
import { DataKeys } from '../constructs/keys/data-keys';
import { SecureNetwork } from '../constructs/network/secure-network';
import { ApiCredential } from '../constructs/secrets/api-credential';
import { SecureStream } from '../constructs/streaming/secure-stream';
import { AccessLogBucket } from '../constructs/storage/access-log-bucket';
import { SecureBucket } from '../constructs/storage/secure-bucket';

export interface SecurePipelineStackProps extends StackProps {
  readonly profile: Profile;
  readonly datasets: DatasetsConfig;
}

/** The blueprint stack: composes the constructs for a profile and a datasets config. No resource wiring here. */
export class SecurePipelineStack extends Stack {
  public readonly keys: DataKeys;
  public readonly network: SecureNetwork;
  public readonly accessLogs: AccessLogBucket;
  /** One curated bucket per classification that some dataset uses. */
  public readonly curatedBuckets: ReadonlyMap<Classification, SecureBucket>;
  /** Records that failed validation: may hold anything, so it is Restricted. */
  public readonly quarantineBucket: SecureBucket;
  public readonly database: SecureDatabase;
  /** The source credential of each dataset whose source authenticates, by dataset name. */
  public readonly credentials: ReadonlyMap<string, ApiCredential>;
  public readonly stream: SecureStream;
  private readonly azCount: number;

  constructor(scope: Construct, id: string, props: SecurePipelineStackProps) {
    super(scope, id, props);
    this.azCount = props.profile.azCount;
    const { profile, datasets } = props;

    this.keys = new DataKeys(this, 'Keys');
    this.network = new SecureNetwork(this, 'Network', {
      logKey: this.keys.audit,
      flowLogRetentionDays: profile.platformLogRetentionDays,
      azCount: profile.azCount,
      // Only the stages that call source APIs need the internet; the tier exists only when a dataset has a source.
      egress: datasets.datasets.length > 0,
      natGateways: profile.natGateways,
    });
    this.accessLogs = new AccessLogBucket(this, 'AccessLogs');

    const used = CLASSIFICATIONS.filter((c) => datasets.datasets.some((d) => d.classification === c));
    this.curatedBuckets = new Map(used.map((c) => [c, new SecureBucket(this, `Curated${c}`, {
      classification: c,
      keys: this.keys,
      accessLogBucket: this.accessLogs,
    })]));
    this.quarantineBucket = new SecureBucket(this, 'Quarantine', {
      classification: Classification.RESTRICTED,
      keys: this.keys,
      accessLogBucket: this.accessLogs,
    });
    this.credentials = new Map(datasets.datasets.flatMap((d) => d.source.auth ? [[d.name, new ApiCredential(this, `${pascalCase(d.name)}Credential`, {
      keys: this.keys,
      network: this.network,
      profile,
      tokenUrl: d.source.auth.tokenUrl,
      probeUrl: d.source.url,
      ...(d.source.auth.scope !== undefined ? { scope: d.source.auth.scope } : {}),
    })] as const] : []));
    this.database = new SecureDatabase(this, 'Database', { network: this.network, keys: this.keys, profile, datasets });
    this.stream = new SecureStream(this, 'Stream', { network: this.network, keys: this.keys, profile, datasets });
    this.network.allowBucketsThroughEndpoint(...[...this.curatedBuckets.values(), this.quarantineBucket].map((b) => b.bucket));
  }

  /** The profile's zones, also when the stack is env-agnostic (CDK would otherwise offer two). */
  public override get availabilityZones(): string[] {
    return Token.isUnresolved(this.region) ? agnosticAvailabilityZones(this.azCount) : super.availabilityZones;
  }
}

/**
 * An env-agnostic stack sees only two availability zones; the profile decides how many the pipeline spans (prod: 3),
 * so pick them from the region at deploy time. With -c account/-c region the real zones are used.
 */
export function agnosticAvailabilityZones(count: number): string[] {
  return Array.from({ length: count }, (_, i) => Fn.select(i, Fn.getAzs()));
}

function pascalCase(name: string): string {
  return name.split('_').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
