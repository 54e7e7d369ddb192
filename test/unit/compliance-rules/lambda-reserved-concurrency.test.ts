import { CfnParameter, Stack } from 'aws-cdk-lib';
import { hardenedFunction, plainFunction } from './lambda-fixtures';
import { flaggedBy, PackResult, ruleErrors, synthWithOurPack } from './pack';

const RULE = 'LambdaReservedConcurrency';

describe(`DataPipeline-${RULE}`, () => {
  let result: PackResult;
  beforeAll(() => {
    result = synthWithOurPack((app) => {
      const compliant = new Stack(app, 'Compliant');
      hardenedFunction(compliant, 'Hardened');
      plainFunction(compliant, 'PlainOne');

      const nonCompliant = new Stack(app, 'NonCompliant');
      hardenedFunction(nonCompliant, 'Unreserved', { reservedConcurrentExecutions: undefined });
      plainFunction(nonCompliant, 'PlainUnreserved', { ReservedConcurrentExecutions: undefined });
      // Zero reserved concurrency throttles every invocation: a disabled function, not a bounded one.
      plainFunction(nonCompliant, 'Zero', { ReservedConcurrentExecutions: 0 });
      const concurrency = new CfnParameter(nonCompliant, 'Concurrency', { type: 'Number' });
      plainFunction(nonCompliant, 'FromParameter', { ReservedConcurrentExecutions: concurrency.valueAsNumber });
    });
  });

  test('reserved concurrency of at least 1 is compliant', () => {
    expect(flaggedBy(result, RULE).filter((p) => p.startsWith('Compliant/'))).toEqual([]);
  });

  test('no reserved concurrency, zero, or a value unknown at synth is non-compliant', () => {
    expect(flaggedBy(result, RULE)).toEqual([
      'NonCompliant/FromParameter',
      'NonCompliant/PlainUnreserved',
      'NonCompliant/Unreserved/Resource',
      'NonCompliant/Zero',
    ]);
  });

  test('the rule judged every input without throwing', () => expect(ruleErrors(result)).toEqual([]));
});
