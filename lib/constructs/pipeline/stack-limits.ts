/**
 * CloudFormation's per-template quotas, checked at synth with headroom, so a pipeline that grows past them fails
 * with the limit and the fix named instead of `TooManyResourcesInStack` (or a deploy-time error) telling the user
 * nothing. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
import { CfnOutput, CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** What CloudFormation allows in one template. */
export const CLOUDFORMATION_TEMPLATE_LIMITS = { resources: 500, outputs: 200, parameters: 200 } as const;

/** The share of each quota a template of this project may use: the rest is room for the next change. */
export const TEMPLATE_HEADROOM = 0.9;

export interface TemplateCounts {
  readonly resources: number;
  readonly outputs: number;
  readonly parameters: number;
}

/** What `stack`'s own template holds (a nested stack counts as one resource of its parent). */
export function templateCounts(stack: Stack): TemplateCounts {
  const own = stack.node.findAll().filter((c: IConstruct) => Stack.of(c) === stack);
  return {
    resources: own.filter((c) => c instanceof CfnResource).length,
    outputs: own.filter((c) => c instanceof CfnOutput).length,
    parameters: own.filter((c) => c instanceof CfnParameter).length,
  };
}

/** The quotas `counts` goes past (with headroom), each with what CloudFormation allows and `fix`. */
export function templateLimitProblems(stackName: string, counts: TemplateCounts, fix: string): string[] {
  return (Object.keys(CLOUDFORMATION_TEMPLATE_LIMITS) as (keyof TemplateCounts)[]).flatMap((kind) => {
    const limit = CLOUDFORMATION_TEMPLATE_LIMITS[kind];
    const budget = Math.floor(limit * TEMPLATE_HEADROOM);
    return counts[kind] > budget
      ? [`${stackName} would hold ${counts[kind]} ${kind}: CloudFormation allows ${limit} per template and this project keeps ` +
        `${Math.round((1 - TEMPLATE_HEADROOM) * 100)}% of that free (at most ${budget}). Fix: ${fix}`]
      : [];
  });
}

/** Checks `stack`'s template against the quotas when the app is synthesized (after references are resolved). */
export function validateTemplateLimits(stack: Stack, fix: () => string): void {
  stack.node.addValidation({ validate: () => templateLimitProblems(stack.node.path, templateCounts(stack), fix()) });
}
