import { App, AppProps, Stage, Validations } from 'aws-cdk-lib';
import {
  AwsSolutionsChecks,
  HIPAASecurityChecks,
  NagPack,
  NagPackProps,
  NIST80053R5Checks,
  PCIDSS321Checks,
  ServerlessChecks,
} from 'cdk-nag';
import { DataPipelineChecks } from './data-pipeline-checks';

/** Context that makes a synth fail on unacknowledged warnings too, not only on errors. */
export const STRICT_VALIDATION_CONTEXT: Readonly<Record<string, boolean>> = {
  '@aws-cdk/core:strictCfnValidateErrors': true,
  '@aws-cdk/core:failSynthOnValidationErrors': true,
};

export interface ComplianceOptions {
  /** Include each rule's explanation in the findings. @default false */
  readonly verbose?: boolean;
  /** Packs of the user's own, run beside ours. @default none */
  readonly additionalPacks?: readonly NagPack[];
}

/**
 * Adds every compliance pack to the app: AwsSolutions, HIPAA Security, NIST 800-53 R5, PCI DSS 3.2.1,
 * Serverless and DataPipelineChecks. With the packs added, `app.synth()` fails on any unacknowledged error.
 */
export function enforceCompliance(app: App | Stage, options: ComplianceOptions = {}): readonly NagPack[] {
  const props: NagPackProps = { verbose: options.verbose ?? false };
  const packs: NagPack[] = [
    new AwsSolutionsChecks(app, props),
    new HIPAASecurityChecks(app, props),
    new NIST80053R5Checks(app, props),
    new PCIDSS321Checks(app, props),
    new ServerlessChecks(app, props),
    new DataPipelineChecks(app, props),
    ...(options.additionalPacks ?? []),
  ];
  Validations.of(app).addPlugins(...packs);
  return packs;
}

/** An App whose synth fails on unacknowledged errors and warnings of every pack. */
export function createCompliantApp(props: AppProps = {}, options: ComplianceOptions = {}): App {
  const app = new App({ ...props, context: { ...props.context, ...STRICT_VALIDATION_CONTEXT } });
  enforceCompliance(app, options);
  return app;
}
