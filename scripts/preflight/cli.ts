/** Argument parsing and the run of `npm run preflight`; the clients are injectable so tests need no AWS. */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { EC2Client } from '@aws-sdk/client-ec2';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { loadDatasetsConfig, parseZoneIdsContext, Profile, resolveProfile, ZONE_IDS_CONTEXT } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { formatReport, PreflightClients, runPreflight, TemplateFacts } from './checks';
import { readTemplateFacts, synthesizeTemplateFacts } from './template';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..');

export const USAGE = `Usage: npm run preflight -- [-c profile=dev|prod] [--region <region>] [options]

Read-only checks of the account and region you are about to deploy to, with your current AWS credentials.
Prints pass / warn / fail with the fix for each, and the -c values to pass to cdk deploy.
Exit code: 0 nothing failed, 1 a check failed, 2 bad arguments.

  -c, --context <key=value>  profile=dev|prod (default dev), datasets=<file>,
                             ${ZONE_IDS_CONTEXT}=<id,id,...> (check these zone IDs instead of choosing)
  --region <region>          default: -c region, then AWS_REGION / AWS_DEFAULT_REGION
  --template <file>          a synthesized template to check against (default: synthesize the blueprint here)
  --help`;

export interface PreflightArgs {
  readonly region: string;
  readonly profile: Profile;
  readonly context: Readonly<Record<string, string>>;
  readonly template?: string;
}

export class UsageError extends Error {}

export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv): PreflightArgs | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        context: { type: 'string', short: 'c', multiple: true },
        region: { type: 'string' },
        template: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`-c ${pair}: expected key=value, e.g. -c profile=prod`);
    context[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const region = values.region ?? context.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no region: pass --region <region> (or set AWS_REGION)');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new UsageError(`--region ${region} is not a region name (e.g. eu-west-1)`);
  return { region, profile: resolveProfile(context.profile), context, ...(values.template ? { template: values.template } : {}) };
}

export function awsClients(region: string): PreflightClients {
  return {
    lambda: new LambdaClient({ region }),
    guardDuty: new GuardDutyClient({ region }),
    cloudTrail: new CloudTrailClient({ region }),
    serviceQuotas: new ServiceQuotasClient({ region }),
    ec2: new EC2Client({ region }),
    cloudFormation: new CloudFormationClient({ region }),
  };
}

export interface CliDeps {
  readonly clients: (region: string) => PreflightClients;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** How the template facts are obtained when --template is not given. @default synthesize the blueprint */
  readonly synthesize?: (args: PreflightArgs) => TemplateFacts;
}

/** Runs the preflight; returns the exit code. */
export async function main(argv: readonly string[], deps: CliDeps): Promise<number> {
  let args: PreflightArgs | 'help';
  try {
    args = parseCliArgs(argv, deps.env);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigurationError) {
      deps.err(`${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args === 'help') {
    deps.out(`${USAGE}\n`);
    return 0;
  }
  let template: TemplateFacts;
  try {
    template = args.template
      ? readTemplateFacts(args.template)
      : (deps.synthesize ?? defaultSynthesize)(args);
  } catch (e) {
    deps.err(`could not read the template to check against: ${(e as Error).message}\n`);
    return 2;
  }
  const zoneIds = parseZoneIdsContext(args.context[ZONE_IDS_CONTEXT]);
  const options = { region: args.region, profile: args.profile, template, ...(zoneIds ? { zoneIds } : {}) };
  const result = await runPreflight(deps.clients(args.region), options);
  deps.out(formatReport(result, options));
  return result.checks.some((c) => c.status === 'fail') ? 1 : 0;
}

function defaultSynthesize(args: PreflightArgs): TemplateFacts {
  const datasets = loadDatasetsConfig(args.context.datasets ?? path.join(REPOSITORY_ROOT, 'examples', 'datasets.json'));
  return synthesizeTemplateFacts(REPOSITORY_ROOT, args.profile, datasets);
}
