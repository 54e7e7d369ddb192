/** Proof that enforcement can fail: the real CLI refuses to synthesize an insecure stack. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');

test('`cdk synth` of a stack with an unencrypted bucket exits non-zero and prints rule, path and message', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-cli-'));
  const run = spawnSync('npx', ['cdk', 'synth', '--no-notices', '--app', 'npx tsx test/fixtures/insecure-app.ts', '--output', out], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', CDK_DISABLE_VERSION_CHECK: 'true' },
    timeout: 120_000,
  });
  const output = `${run.stdout}\n${run.stderr}`;
  expect(run.status).not.toBe(0);
  expect(output).toContain('Throwaway/Unencrypted/Resource');
  expect(output).toContain('AwsSolutions::AwsSolutions-S10');
  expect(output).toContain('The S3 Bucket or bucket policy does not require requests to use SSL');
  expect(output).toContain('HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS');
  expect(fs.existsSync(path.join(out, 'Throwaway.template.json'))).toBe(true);
});
