/** The filter-pattern evaluator the alarm tests rely on: if it were wrong, those tests would prove nothing. */
import { FilterPatternSyntaxError, matchesFilterPattern, parseFilterPattern } from '../helpers/filter-pattern';

const event = {
  eventName: 'ConsoleLogin',
  errorCode: 'Client.UnauthorizedOperation',
  count: 3,
  flag: true,
  nothing: null,
  userIdentity: { type: 'IAMUser', sessionContext: { attributes: { mfaAuthenticated: 'false' } } },
  resources: [{ ARN: 'arn:aws:s3:::a' }, { ARN: 'arn:aws:s3:::b' }],
};

describe('filter-pattern evaluator', () => {
  test.each([
    ['{ $.eventName = "ConsoleLogin" }', true],
    ['{ $.eventName = ConsoleLogin }', true],
    ['{ $.eventName = "consolelogin" }', false],
    ['{ $.eventName != "ConsoleLogin" }', false],
    ['{ $.eventName != "GetObject" }', true],
    ['{ $.userIdentity.type = "IAMUser" }', true],
    ['{ $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }', true],
    ['{ $.resources[1].ARN = "arn:aws:s3:::b" }', true],
    ['{ $.resources[2].ARN = "*" }', false],
  ])('equality and selectors: %s → %s', (pattern, expected) => {
    expect(matchesFilterPattern(pattern, event)).toBe(expected);
  });

  test.each([
    ['{ $.errorCode = "*UnauthorizedOperation" }', true],
    ['{ $.errorCode = "Client.*" }', true],
    ['{ $.errorCode = "*Unauthorized*" }', true],
    ['{ $.errorCode = "AccessDenied*" }', false],
    ['{ $.errorCode = "UnauthorizedOperation" }', false],
    ['{ $.errorCode = "Client.Unauthorized.Operation" }', false],
    ['{ $.eventName = "*" }', true],
    ['{ $.missing = "*" }', false],
  ])('wildcards: %s → %s', (pattern, expected) => {
    expect(matchesFilterPattern(pattern, event)).toBe(expected);
  });

  test('dots and other regex characters in values are literal, not patterns', () => {
    expect(matchesFilterPattern('{ $.errorCode = "Client.UnauthorizedOperation" }', { errorCode: 'ClientXUnauthorizedOperation' })).toBe(false);
    expect(matchesFilterPattern('{ $.v = "a+b(c)" }', { v: 'a+b(c)' })).toBe(true);
    expect(matchesFilterPattern('{ $.v = "a+b(c)" }', { v: 'aab(c)' })).toBe(false);
  });

  test.each([
    ['{ $.missing NOT EXISTS }', true],
    ['{ $.eventName NOT EXISTS }', false],
    ['{ $.nothing NOT EXISTS }', false],
    ['{ $.nothing IS NULL }', true],
    ['{ $.missing IS NULL }', false],
    ['{ $.flag IS TRUE }', true],
    ['{ $.flag IS FALSE }', false],
    ['{ $.userIdentity.invokedBy NOT EXISTS }', true],
  ])('postfix tests: %s → %s', (pattern, expected) => {
    expect(matchesFilterPattern(pattern, event)).toBe(expected);
  });

  test.each([
    ['{ $.count = 3 }', true],
    ['{ $.count > 2 }', true],
    ['{ $.count >= 4 }', false],
    ['{ $.count < 3 }', false],
    ['{ $.count != 3 }', false],
    ['{ $.eventName > 1 }', false],
  ])('numbers: %s → %s', (pattern, expected) => {
    expect(matchesFilterPattern(pattern, event)).toBe(expected);
  });

  test('&&, || and parentheses combine as written', () => {
    expect(matchesFilterPattern('{ ($.eventName = "ConsoleLogin") && ($.count = 3) }', event)).toBe(true);
    expect(matchesFilterPattern('{ ($.eventName = "ConsoleLogin") && ($.count = 4) }', event)).toBe(false);
    expect(matchesFilterPattern('{ ($.eventName = "X") || ($.count = 3) }', event)).toBe(true);
    expect(matchesFilterPattern('{ ($.eventName = "X") || ($.count = 4) }', event)).toBe(false);
    expect(matchesFilterPattern('{ (($.eventName = "X") || ($.count = 3)) && ($.flag IS TRUE) }', event)).toBe(true);
    expect(matchesFilterPattern('{ (($.eventName = "X") || ($.count = 3)) && ($.flag IS FALSE) }', event)).toBe(false);
    expect(parseFilterPattern('{ ($.a = "1") && ($.b = "2") && ($.c = "3") }')).toMatchObject({ kind: 'and', operands: [{}, {}, {}] });
  });

  test('a missing field never equals anything; its != verdict is a chosen option', () => {
    expect(matchesFilterPattern('{ $.missing = "x" }', event)).toBe(false);
    expect(matchesFilterPattern('{ $.missing != "x" }', event)).toBe(false);
    expect(matchesFilterPattern('{ $.missing != "x" }', event, { missingFieldNotEquals: true })).toBe(true);
    expect(matchesFilterPattern('{ $.userIdentity = "*" }', event)).toBe(false);
  });

  test.each([
    ['$.eventName = "x"', /expected "\{"/],
    ['{ $.eventName = "x"', /expected "\}"/],
    ['{ $.a = "1" && $.b = "2" || $.c = "3" }', /mixed without parentheses/],
    ['{ $.a EXISTS }', /unsupported keyword "EXISTS"/],
    ['{ $.a = %regex% }', /regular expressions/],
    ['{ $.a[*] = "x" }', /numeric array indexes/],
    ['{ $.a = "unterminated }', /unterminated string/],
    ['{ $.a > "text" }', /compares numbers/],
    ['{ ($.a = "1" }', /expected "\)"/],
    ['{ $.a = "1" } trailing', /unexpected text/],
    ['{ eventName = "x" }', /selector/],
  ])('refuses %s', (pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(FilterPatternSyntaxError);
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});
