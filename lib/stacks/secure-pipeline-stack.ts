import { Fn, Stack, StackProps, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DatasetsConfig, parseZoneIdsContext, Profile, ZONE_IDS_CONTEXT } from '../config';
import { SecurePipeline } from '../constructs/pipeline/secure-pipeline';
import { addOperatorOutputs } from './outputs';

export interface SecurePipelineStackProps extends StackProps {
  readonly profile: Profile;
  readonly datasets: DatasetsConfig;
}

/**
 * The blueprint stack: one SecurePipeline for a profile and a datasets config. Context: `alarmEmail`,
 * `guardDutyDetectorId` (adopt that GuardDuty detector; without it, the account's detector is found and adopted at
 * deploy time, or one is created), `availabilityZoneIds` (place subnets by zone ID, comma-separated).
 */
export class SecurePipelineStack extends Stack {
  public readonly pipeline: SecurePipeline;
  private readonly azCount: number;
  private readonly zoneIds?: string[];

  constructor(scope: Construct, id: string, props: SecurePipelineStackProps) {
    super(scope, id, props);
    this.azCount = props.profile.azCount;
    this.zoneIds = parseZoneIdsContext(this.node.tryGetContext(ZONE_IDS_CONTEXT));
    this.pipeline = new SecurePipeline(this, 'Pipeline', {
      profile: props.profile,
      datasets: props.datasets,
      ...(this.zoneIds ? { availabilityZoneIds: this.zoneIds } : {}),
      ...optionalContext(this, 'alarmEmail', 'alarmEmail'),
      ...optionalContext(this, 'guardDutyDetectorId', 'existingDetectorId'),
    });
    addOperatorOutputs(this, this.pipeline);
  }

  /**
   * The profile's zones, also when the stack is env-agnostic (CDK would otherwise offer two). With zone IDs the
   * network places subnets by ID and needs no names, so none are looked up (no credentials needed at synth).
   */
  public override get availabilityZones(): string[] {
    return Token.isUnresolved(this.region) || this.zoneIds ? agnosticAvailabilityZones(this.azCount) : super.availabilityZones;
  }
}

/**
 * An env-agnostic stack sees only two availability zones; the profile decides how many the pipeline spans (prod: 3),
 * so pick them from the region at deploy time. With -c account/-c region the real zones are used.
 */
export function agnosticAvailabilityZones(count: number): string[] {
  return Array.from({ length: count }, (_, i) => Fn.select(i, Fn.getAzs()));
}

/** `{ [prop]: value }` when the context key is set, else `{}`. */
function optionalContext(scope: Construct, key: string, prop: string): Record<string, string> {
  const value = scope.node.tryGetContext(key) as unknown;
  return typeof value === 'string' && value.length > 0 ? { [prop]: value } : {};
}
