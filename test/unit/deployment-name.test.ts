/** deploymentUniqueName: physical names that a new creation of the same stack never shares with an earlier one. */
import { Aws, Stack, Token } from 'aws-cdk-lib';
import fc from 'fast-check';
import { DEPLOYMENT_SUFFIX_LENGTH, deploymentSuffix, deploymentUniqueName } from '../../lib/constructs/common/deployment-name';
import { testStack } from '../helpers/app';

/** The first group of hex digits of the UUID in `arn:…:stack/<name>/<uuid>`. */
const SUFFIX = { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] };

/** The literal base of a resolved unique name, after checking its shape. */
function literalPart(stack: Stack, name: string): string {
  const resolved = stack.resolve(name) as { 'Fn::Join': [string, [string, unknown]] };
  expect(resolved['Fn::Join'][0]).toBe('-');
  expect(resolved['Fn::Join'][1][1]).toEqual(SUFFIX);
  return resolved['Fn::Join'][1][0];
}

/** What CloudFormation would make of the name for a stack id. */
function evaluate(stack: Stack, name: string, stackId: string): string {
  const base = literalPart(stack, name);
  return `${base}-${stackId.split('/')[2]!.split('-')[0]}`;
}

describe('deploymentUniqueName', () => {
  const stack = testStack();

  test('resolves to <base>-<first 8 hex of the stack id UUID>, a deploy-time value that differs for every creation of the stack', () => {
    const name = deploymentUniqueName('stream', 64);
    expect(Token.isUnresolved(name)).toBe(true);
    expect(stack.resolve(name)).toEqual({ 'Fn::Join': ['-', ['stream', SUFFIX]] });
    expect(stack.resolve(deploymentSuffix())).toEqual(SUFFIX);
    const first = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/SecureDataPipeline-dev/8c3f2a10-1b2c-11ef-9d6e-0a1b2c3d4e5f';
    const again = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/SecureDataPipeline-dev/f04e77b2-2c3d-11ef-8a9b-0f1e2d3c4b5a';
    expect(evaluate(stack, name, first)).toBe('stream-8c3f2a10');
    expect(evaluate(stack, name, again)).toBe('stream-f04e77b2');
    expect(DEPLOYMENT_SUFFIX_LENGTH).toBe('8c3f2a10'.length);
  });

  test('lower-cases the base and turns other characters into single hyphens, trimmed at both ends', () => {
    expect(literalPart(stack, deploymentUniqueName('SecureDataPipeline-dev/Stream', 64))).toBe('securedatapipeline-dev-stream');
    expect(literalPart(stack, deploymentUniqueName('--a__b..c--', 64))).toBe('a-b-c');
    expect(literalPart(stack, deploymentUniqueName('!!!', 64))).toBe('x');
  });

  test('the literal part plus "-" and 8 characters never exceeds maxLength, and never ends in a hyphen', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), fc.integer({ min: 10, max: 255 }), (base, maxLength) => {
      const literal = literalPart(stack, deploymentUniqueName(base, maxLength));
      expect(literal.length + 1 + DEPLOYMENT_SUFFIX_LENGTH).toBeLessThanOrEqual(maxLength);
      expect(literal).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
    }));
    expect(literalPart(stack, deploymentUniqueName('abcdefghij-klmnop', 19))).toBe('abcdefghij');
    expect(literalPart(stack, deploymentUniqueName('abcdefghij-klmnop', 18))).toBe('abcdefghi');
    // Cut right after a hyphen: the hyphen goes too.
    expect(literalPart(stack, deploymentUniqueName('abcdefghi-jklmnop', 19))).toBe('abcdefghi');
  });

  test('refuses a token base (the name would not be checked) and a maxLength that leaves no room', () => {
    expect(() => deploymentUniqueName(Aws.STACK_NAME, 64)).toThrow(/base must be a literal string/);
    expect(() => deploymentUniqueName('x', 9)).toThrow(/maxLength 9 leaves no room/);
    expect(() => deploymentUniqueName('x', 10)).not.toThrow();
  });
});
