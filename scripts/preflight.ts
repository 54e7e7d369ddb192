/**
 * `npm run preflight -- [-c profile=…] [--region …]`: read-only checks of the target account and region before a
 * deploy (Lambda concurrency, GuardDuty, CloudTrail, zone IDs, CDK bootstrap, MSK and NAT quotas), each with its fix,
 * and the -c values to deploy with. Exit 0 when nothing failed, 1 when a check failed, 2 on bad arguments.
 */
import { ensureHandlerBundles } from './build-handlers';
import { awsClients, main } from './preflight/cli';

void ensureHandlerBundles().then(() => main(process.argv.slice(2), {
  clients: awsClients,
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
}).then((code) => process.exit(code), (e: unknown) => {
  process.stderr.write(`preflight crashed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
}));
