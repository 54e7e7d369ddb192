import fc from 'fast-check';
import { FieldValueError, mask } from '../../../../lambda/shared/field-handling';

const codePoints = (s: string) => Array.from(s);

describe('mask', () => {
  test('keeps exactly the last keepSuffix code points and the length, starring the rest', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.string()),
        fc.integer({ min: 0, max: 12 }),
        (value, keep) => {
          const out = codePoints(mask(value, keep));
          const input = codePoints(value);
          expect(out).toHaveLength(input.length);
          const shown = input.length > keep ? keep : 0;
          expect(out.slice(input.length - shown)).toEqual(input.slice(input.length - shown));
          expect(out.slice(0, input.length - shown).every((c) => c === '*')).toBe(true);
        },
      ),
    );
  });

  test('never shows a value that is not longer than keepSuffix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 8 }), (value) => {
        const keep = codePoints(value).length + 2;
        expect(mask(value, keep)).toBe('*'.repeat(codePoints(value).length));
        expect(mask(value, codePoints(value).length)).toBe('*'.repeat(codePoints(value).length));
      }),
    );
  });

  test.each([
    ['4111111111111111', 4, '************1111'],
    ['SW1A 1AA', 2, '******AA'],
    ['1234', 4, '****'],
    ['123', 4, '***'],
    ['12345', 4, '*2345'],
    ['', 4, ''],
    ['secret', 0, '******'],
    // Astral characters count once (UTF-16 units would give 9 stars and split a surrogate pair).
    ['😀😀😀abc😀', 2, '*****c😀'],
    ['José', 3, '*osé'],
  ])('mask(%j, %d) is %j', (value, keep, expected) => {
    expect(mask(value, keep)).toBe(expected);
  });

  test.each([-1, 1.5, NaN, Infinity])('refuses keepSuffix %p', (keep) => {
    expect(() => mask('value', keep)).toThrow(FieldValueError);
  });
});
