/** Display masking: keep the last few characters, star the rest (e.g. `************1111`). */
import { FieldValueError } from './errors';

export const MASK_CHARACTER = '*';

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Replaces every Unicode code point of `value` but the last `keepSuffix` with `*`, preserving the length in code
 * points (an emoji or other astral character counts once). A value not longer than `keepSuffix` is masked
 * entirely, so a short value is never shown whole.
 */
export function mask(value: string, keepSuffix: number): string {
  if (!Number.isSafeInteger(keepSuffix) || keepSuffix < 0) {
    throw new FieldValueError(`keepSuffix must be a non-negative integer, got ${String(keepSuffix)}`);
  }
  if (typeof value !== 'string') {
    throw new FieldValueError(`mask needs a string, got ${typeof value}`);
  }
  if (!SURROGATE.test(value)) {
    // No astral characters: code points are UTF-16 units, so plain string operations give the same result.
    const hidden = value.length > keepSuffix ? value.length - keepSuffix : value.length;
    return MASK_CHARACTER.repeat(hidden) + value.slice(hidden);
  }
  const codePoints = Array.from(value);
  const hidden = codePoints.length > keepSuffix ? codePoints.length - keepSuffix : codePoints.length;
  return MASK_CHARACTER.repeat(hidden) + codePoints.slice(hidden).join('');
}
