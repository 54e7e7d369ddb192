/** Synthesizes an app under our own pack alone and reads what each of its rules reported. */
import { App, Validations } from 'aws-cdk-lib';
import { DataPipelineChecks, Finding, readFindings } from '../../../lib/compliance';
import { testApp } from '../../helpers/app';

export interface PackResult {
  readonly findings: readonly Finding[];
  /** What synth threw: our pack's errors fail it. */
  readonly error?: Error;
}

export function synthWithOurPack(build: (app: App) => void, context: Record<string, unknown> = {}): PackResult {
  const app = testApp(context);
  Validations.of(app).addPlugins(new DataPipelineChecks(app));
  build(app);
  let error: Error | undefined;
  try {
    app.synth();
  } catch (e) {
    error = e as Error;
    // Only our pack's verdict may fail the synth; anything else would leave the tests nothing to read.
    if (error.name !== 'ValidationFailed') throw error;
  }
  return { findings: readFindings(app.outdir), ...(error ? { error } : {}) };
}

/** Construct paths of the resources `rule` reported, sorted. */
export function flaggedBy(result: PackResult, rule: string): string[] {
  return result.findings.filter((f) => f.ruleId === `DataPipeline-${rule}`).map((f) => f.path).sort();
}

/** Findings where a rule threw instead of judging: a rule must decide every input, intrinsics included. */
export function ruleErrors(result: PackResult): readonly Finding[] {
  return result.findings.filter((f) => f.description.startsWith('Rule threw'));
}
