/** A wide net over the whole template: any change is a visible diff. Features are tested by assertions elsewhere. */
import { Template } from 'aws-cdk-lib/assertions';
import { buildPipelineStack, testApp } from '../helpers/app';
import { serialize } from '../helpers/stable-serializer';

test.each(['dev', 'prod'])('SecurePipelineStack (%s) template', (profile) => {
  const stack = buildPipelineStack(testApp({ profile }), profile);
  expect(Template.fromStack(stack).toJSON()).toMatchSnapshot();
});

test('snapshots are stable: asset hashes are normalized', () => {
  const printed = serialize({ S3Key: `${'a'.repeat(64)}.zip` }, {}, '', 0, [], (v: unknown) => JSON.stringify(v));
  expect(printed).toBe('{"S3Key":"[HASH].zip"}');
});
