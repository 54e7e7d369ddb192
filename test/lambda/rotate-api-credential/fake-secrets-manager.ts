/**
 * An in-memory model of one Secrets Manager secret (versions, values, staging labels) behind
 * aws-sdk-client-mock, so rotation tests assert on the secret's state rather than on SDK calls. It follows
 * the documented service behaviour the rotation protocol relies on:
 * - RotateSecret labels the new ClientRequestToken AWSPENDING before any value exists;
 * - GetSecretValue for a version without a value, or with a stage the version lacks, is ResourceNotFound;
 * - PutSecretValue with an existing token is idempotent for the same value and ResourceExists otherwise;
 * - a staging label is on at most one version; moving AWSCURRENT puts AWSPREVIOUS on the old version;
 * - UpdateSecretVersionStage must name the version the label is removed from.
 */
import {
  DescribeSecretCommand,
  DescribeSecretCommandInput,
  DescribeSecretCommandOutput,
  GetSecretValueCommand,
  GetSecretValueCommandInput,
  GetSecretValueCommandOutput,
  InvalidParameterException,
  InvalidRequestException,
  PutSecretValueCommand,
  PutSecretValueCommandInput,
  PutSecretValueCommandOutput,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  UpdateSecretVersionStageCommandInput,
  UpdateSecretVersionStageCommandOutput,
} from '@aws-sdk/client-secrets-manager';
import { AwsClientStub } from 'aws-sdk-client-mock';

interface Version {
  value?: string;
  stages: Set<string>;
}

const meta = { $metadata: {} };

export class FakeSecret {
  readonly name: string;
  readonly arn: string;
  rotationEnabled = true;
  /** Number of PutSecretValue calls that stored a new value. */
  writes = 0;
  private readonly versions = new Map<string, Version>();

  constructor(name: string, initialValue: Record<string, unknown>, initialVersionId = 'v-initial-0000') {
    this.name = name;
    this.arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbCdEf`;
    this.versions.set(initialVersionId, { value: JSON.stringify(initialValue), stages: new Set(['AWSCURRENT']) });
  }

  /** What RotateSecret does before invoking createSecret: label the token AWSPENDING, without a value. */
  startRotation(token: string): void {
    this.moveLabel('AWSPENDING', token);
  }

  /** Sets stages directly, e.g. to model a version that lost its AWSPENDING label. */
  setStages(versionId: string, stages: string[]): void {
    const version = this.versions.get(versionId) ?? { stages: new Set<string>() };
    version.stages = new Set(stages);
    this.versions.set(versionId, version);
  }

  versionWith(stage: string): string | undefined {
    return [...this.versions.entries()].find(([, v]) => v.stages.has(stage))?.[0];
  }

  stagesOf(versionId: string): string[] {
    return [...(this.versions.get(versionId)?.stages ?? [])].sort();
  }

  /** Parsed value of the version holding `stage`. */
  valueAt(stage: string): Record<string, unknown> | undefined {
    const id = this.versionWith(stage);
    const value = id === undefined ? undefined : this.versions.get(id)?.value;
    return value === undefined ? undefined : (JSON.parse(value) as Record<string, unknown>);
  }

  versionCount(): number {
    return [...this.versions.values()].filter((v) => v.value !== undefined).length;
  }

  /** Routes the SDK commands the rotation function uses to this model; anything else fails the test. */
  install(mock: AwsClientStub<SecretsManagerClient>): void {
    mock.reset();
    mock.onAnyCommand().rejects(new Error('command not modelled by FakeSecret'));
    mock.on(DescribeSecretCommand).callsFake((input: DescribeSecretCommandInput) => this.describe(input));
    mock.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => this.getValue(input));
    mock.on(PutSecretValueCommand).callsFake((input: PutSecretValueCommandInput) => this.putValue(input));
    mock
      .on(UpdateSecretVersionStageCommand)
      .callsFake((input: UpdateSecretVersionStageCommandInput) => this.updateStage(input));
  }

  private assertId(secretId: string | undefined): void {
    if (secretId !== this.arn && secretId !== this.name) {
      throw new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", ...meta });
    }
  }

  private moveLabel(stage: string, toVersionId: string): string | undefined {
    const from = this.versionWith(stage);
    if (from !== undefined) this.versions.get(from)?.stages.delete(stage);
    const target = this.versions.get(toVersionId) ?? { stages: new Set<string>() };
    target.stages.add(stage);
    this.versions.set(toVersionId, target);
    return from;
  }

  private describe(input: DescribeSecretCommandInput): DescribeSecretCommandOutput {
    this.assertId(input.SecretId);
    const versionIdsToStages: Record<string, string[]> = {};
    for (const [id, v] of this.versions) {
      if (v.stages.size > 0) versionIdsToStages[id] = [...v.stages];
    }
    return { ...meta, ARN: this.arn, Name: this.name, RotationEnabled: this.rotationEnabled, VersionIdsToStages: versionIdsToStages };
  }

  private getValue(input: GetSecretValueCommandInput): GetSecretValueCommandOutput {
    this.assertId(input.SecretId);
    const id = input.VersionId ?? this.versionWith(input.VersionStage ?? 'AWSCURRENT');
    const version = id === undefined ? undefined : this.versions.get(id);
    if (
      id === undefined ||
      version?.value === undefined ||
      (input.VersionStage !== undefined && !version.stages.has(input.VersionStage))
    ) {
      throw new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret value for the requested version or stage.",
        ...meta,
      });
    }
    return { ...meta, ARN: this.arn, Name: this.name, VersionId: id, SecretString: version.value, VersionStages: [...version.stages] };
  }

  private putValue(input: PutSecretValueCommandInput): PutSecretValueCommandOutput {
    this.assertId(input.SecretId);
    const token = input.ClientRequestToken;
    if (token === undefined || input.SecretString === undefined) {
      throw new InvalidRequestException({ message: 'ClientRequestToken and SecretString are required here.', ...meta });
    }
    const existing = this.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value !== input.SecretString) {
        throw new ResourceExistsException({ message: 'A version with this ClientRequestToken already exists.', ...meta });
      }
      return { ...meta, ARN: this.arn, Name: this.name, VersionId: token, VersionStages: [...existing.stages] };
    }
    this.versions.set(token, { value: input.SecretString, stages: existing?.stages ?? new Set() });
    for (const stage of input.VersionStages ?? ['AWSCURRENT']) this.moveLabel(stage, token);
    this.writes += 1;
    return { ...meta, ARN: this.arn, Name: this.name, VersionId: token, VersionStages: this.stagesOf(token) };
  }

  private updateStage(input: UpdateSecretVersionStageCommandInput): UpdateSecretVersionStageCommandOutput {
    this.assertId(input.SecretId);
    const stage = input.VersionStage;
    if (stage === undefined) throw new InvalidParameterException({ message: 'VersionStage is required.', ...meta });
    const holder = this.versionWith(stage);
    if (holder !== undefined && holder !== input.MoveToVersionId && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({
        message: `The staging label ${stage} is currently attached to version ${holder}; specify it as RemoveFromVersionId.`,
        ...meta,
      });
    }
    if (input.RemoveFromVersionId !== undefined && holder !== input.RemoveFromVersionId) {
      throw new InvalidParameterException({ message: `Version ${input.RemoveFromVersionId} does not have ${stage}.`, ...meta });
    }
    if (input.MoveToVersionId !== undefined) {
      if (this.versions.get(input.MoveToVersionId)?.value === undefined) {
        throw new ResourceNotFoundException({ message: 'MoveToVersionId does not exist.', ...meta });
      }
      const previous = this.moveLabel(stage, input.MoveToVersionId);
      if (stage === 'AWSCURRENT' && previous !== undefined && previous !== input.MoveToVersionId) {
        this.moveLabel('AWSPREVIOUS', previous);
      }
    } else if (holder !== undefined) {
      this.versions.get(holder)?.stages.delete(stage);
    }
    return { ...meta, ARN: this.arn, Name: this.name };
  }
}
