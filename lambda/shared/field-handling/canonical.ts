/** The one string form of a field value that masking, tokenizing and encryption work on. */
import { FieldValueError } from './errors';

/** A UTF-16 surrogate that is not half of a pair: such a string has no UTF-8 encoding and would be altered. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** `String.prototype.isWellFormed` (Node 20+), several times faster than the regular expression; typed here
 * because the project's TypeScript lib (ES2022) does not declare it. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** True when the string is well-formed UTF-16 (encodes to UTF-8 without loss). */
export function isWellFormedText(value: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(value) : !LONE_SURROGATE.test(value);
}

/**
 * The canonical string form of a scalar value, so one value always yields one string whatever type the source
 * used: numbers in ECMAScript shortest round-trip form (`-0` as `0`, so `42`, `42.0` and `"42"` agree), booleans as
 * `true`/`false`, dates as ISO 8601 UTC with milliseconds, bigints in decimal, strings as they are.
 *
 * Throws a FieldValueError (naming the type, never the value) for null, undefined, objects, arrays, NaN, infinities,
 * invalid dates and strings with lone surrogates (which cannot be encoded without changing them).
 */
export function canonicalString(value: unknown): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormedText(value)) {
        throw new FieldValueError('the string contains an unpaired UTF-16 surrogate and has no UTF-8 form; reject or repair it at validation');
      }
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new FieldValueError('the number is not finite (NaN or Infinity); reject it at validation');
      }
      return Object.is(value, -0) ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString(10);
    case 'object':
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) {
          throw new FieldValueError('the date is invalid; reject it at validation');
        }
        return value.toISOString();
      }
      throw new FieldValueError(`expected a scalar value, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : 'an object'}`);
    default:
      throw new FieldValueError(`expected a scalar value, got ${typeof value}`);
  }
}
