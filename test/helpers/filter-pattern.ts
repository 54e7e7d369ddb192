/**
 * A small evaluator for the CloudWatch Logs JSON filter-pattern syntax the security alarms use, so tests can run
 * each alarm's pattern against sample CloudTrail events instead of comparing strings.
 *
 * Supported: `{ expr }` where expr combines terms with `&&` or `||` (both at one level without parentheses is
 * refused, since CloudWatch documents no precedence); terms are `( expr )` or `$.a.b[0].c` followed by
 * `= | !=` and a string (quoted, or a bare word; `*` is a wildcard for any run of characters), `= != < <= > >=`
 * and a number, `NOT EXISTS`, `IS NULL`, `IS TRUE` or `IS FALSE`. CloudWatch has no positive `EXISTS` keyword
 * (`= "*"` means "exists", as CDK's FilterPattern.exists writes it), so `EXISTS` alone is refused like any
 * other syntax this evaluator does not know (regexes `%...%`, `[*]` selectors, text patterns).
 *
 * Whether `!=` matches an event that lacks the field is not documented; `missingFieldNotEquals` chooses, so a
 * test can show a verdict does not depend on it.
 */

export type Selector = readonly (string | number)[];

export type FilterExpr =
  | { kind: 'and' | 'or'; operands: FilterExpr[] }
  | { kind: 'string'; selector: Selector; op: '=' | '!='; value: string }
  | { kind: 'number'; selector: Selector; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: number }
  | { kind: 'postfix'; selector: Selector; test: 'NOT EXISTS' | 'IS NULL' | 'IS TRUE' | 'IS FALSE' };

export interface MatchOptions {
  /** Verdict of `$.x != "v"` when the event has no `$.x`. @default false */
  readonly missingFieldNotEquals?: boolean;
}

export class FilterPatternSyntaxError extends Error {
  constructor(pattern: string, at: number, what: string) {
    super(`${what} at ${at} in filter pattern: ${pattern.slice(0, at)}⟨here⟩${pattern.slice(at)}`);
    this.name = 'FilterPatternSyntaxError';
  }
}

type Token =
  | { t: 'lbrace' | 'rbrace' | 'lparen' | 'rparen' | 'and' | 'or'; at: number }
  | { t: 'op'; v: string; at: number }
  | { t: 'selector'; v: Selector; at: number }
  | { t: 'string'; v: string; at: number }
  | { t: 'number'; v: number; at: number }
  | { t: 'word'; v: string; at: number };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new FilterPatternSyntaxError(pattern, i, what);
  };
  while (i < pattern.length) {
    const c = pattern[i]!;
    const at = i;
    if (/\s/.test(c)) { i++; continue; }
    const two = pattern.slice(i, i + 2);
    if (two === '&&') { tokens.push({ t: 'and', at }); i += 2; continue; }
    if (two === '||') { tokens.push({ t: 'or', at }); i += 2; continue; }
    if (two === '!=' || two === '<=' || two === '>=') { tokens.push({ t: 'op', v: two, at }); i += 2; continue; }
    if (c === '=' || c === '<' || c === '>') { tokens.push({ t: 'op', v: c, at }); i++; continue; }
    if (c === '{') { tokens.push({ t: 'lbrace', at }); i++; continue; }
    if (c === '}') { tokens.push({ t: 'rbrace', at }); i++; continue; }
    if (c === '(') { tokens.push({ t: 'lparen', at }); i++; continue; }
    if (c === ')') { tokens.push({ t: 'rparen', at }); i++; continue; }
    if (c === '"') {
      let value = '';
      i++;
      while (i < pattern.length && pattern[i] !== '"') {
        if (pattern[i] === '\\' && i + 1 < pattern.length) { value += pattern[i + 1]; i += 2; continue; }
        value += pattern[i];
        i++;
      }
      if (i >= pattern.length) fail('unterminated string');
      i++;
      tokens.push({ t: 'string', v: value, at });
      continue;
    }
    if (c === '$') {
      const parts: (string | number)[] = [];
      i++;
      while (i < pattern.length && (pattern[i] === '.' || pattern[i] === '[')) {
        if (pattern[i] === '.') {
          const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(pattern.slice(i + 1));
          if (!m) fail('expected a property name after "."');
          parts.push(m![0]);
          i += 1 + m![0].length;
        } else {
          const m = /^\[(\d+)\]/.exec(pattern.slice(i));
          if (!m) fail('only numeric array indexes like [0] are supported');
          parts.push(Number(m![1]));
          i += m![0].length;
        }
      }
      if (parts.length === 0) fail('a selector needs at least one property, e.g. $.eventName');
      tokens.push({ t: 'selector', v: parts, at });
      continue;
    }
    if (c === '%') fail('regular expressions are not supported');
    const m = /^[A-Za-z0-9_.*:/@+-]+/.exec(pattern.slice(i));
    if (!m) fail(`unexpected character "${c}"`);
    const word = m![0];
    i += word.length;
    if (/^-?\d+(\.\d+)?$/.test(word)) tokens.push({ t: 'number', v: Number(word), at });
    else tokens.push({ t: 'word', v: word, at });
  }
  return tokens;
}

/** Parses a JSON filter pattern; throws FilterPatternSyntaxError on anything outside the supported syntax. */
export function parseFilterPattern(pattern: string): FilterExpr {
  const tokens = tokenize(pattern);
  let pos = 0;
  const atOf = () => tokens[pos]?.at ?? pattern.length;
  const fail = (what: string): never => {
    throw new FilterPatternSyntaxError(pattern, atOf(), what);
  };
  const expect = (t: Token['t'], what: string) => {
    if (tokens[pos]?.t !== t) fail(`expected ${what}`);
    pos++;
  };

  const parseExpr = (): FilterExpr => {
    const operands = [parseTerm()];
    let joiner: 'and' | 'or' | undefined;
    while (tokens[pos]?.t === 'and' || tokens[pos]?.t === 'or') {
      const t = tokens[pos]!.t as 'and' | 'or';
      if (joiner && joiner !== t) fail('&& and || mixed without parentheses (CloudWatch documents no precedence)');
      joiner = t;
      pos++;
      operands.push(parseTerm());
    }
    return joiner ? { kind: joiner, operands } : operands[0]!;
  };

  const parseTerm = (): FilterExpr => {
    const tok = tokens[pos];
    if (tok?.t === 'lparen') {
      pos++;
      const inner = parseExpr();
      expect('rparen', '")"');
      return inner;
    }
    if (tok?.t !== 'selector') return fail('expected "(" or a selector like $.eventName');
    pos++;
    const selector = tok.v;
    const next = tokens[pos];
    if (next?.t === 'word') {
      const keyword = next.v.toUpperCase();
      const after = tokens[pos + 1];
      const second = after?.t === 'word' ? after.v.toUpperCase() : undefined;
      if (keyword === 'NOT' && second === 'EXISTS') { pos += 2; return { kind: 'postfix', selector, test: 'NOT EXISTS' }; }
      if (keyword === 'IS' && (second === 'NULL' || second === 'TRUE' || second === 'FALSE')) {
        pos += 2;
        return { kind: 'postfix', selector, test: `IS ${second}` };
      }
      return fail(`unsupported keyword "${next.v}" (use = "*" to test that a field exists)`);
    }
    if (next?.t !== 'op') return fail('expected a comparison operator');
    pos++;
    const value = tokens[pos];
    if (value?.t === 'number') {
      pos++;
      return { kind: 'number', selector, op: next.v as never, value: value.v };
    }
    if (value?.t === 'string' || value?.t === 'word') {
      if (next.v !== '=' && next.v !== '!=') fail(`"${next.v}" compares numbers, not strings`);
      pos++;
      return { kind: 'string', selector, op: next.v as '=' | '!=', value: value.v };
    }
    return fail('expected a value after the operator');
  };

  expect('lbrace', '"{" (only JSON patterns are supported)');
  const expr = parseExpr();
  expect('rbrace', '"}"');
  if (pos !== tokens.length) fail('unexpected text after "}"');
  return expr;
}

const MISSING = Symbol('missing');

function select(event: unknown, selector: Selector): unknown {
  let current: unknown = event;
  for (const part of selector) {
    if (typeof part === 'number') {
      if (!Array.isArray(current) || part >= current.length) return MISSING;
      current = current[part];
    } else {
      if (current === null || typeof current !== 'object' || Array.isArray(current) || !(part in current)) return MISSING;
      current = (current as Record<string, unknown>)[part];
    }
  }
  return current;
}

function wildcard(value: string): RegExp {
  const body = value.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

function evaluate(expr: FilterExpr, event: unknown, options: MatchOptions): boolean {
  switch (expr.kind) {
    case 'and': return expr.operands.every((e) => evaluate(e, event, options));
    case 'or': return expr.operands.some((e) => evaluate(e, event, options));
    case 'postfix': {
      const v = select(event, expr.selector);
      if (expr.test === 'NOT EXISTS') return v === MISSING;
      if (expr.test === 'IS NULL') return v === null;
      return v === (expr.test === 'IS TRUE');
    }
    case 'string': {
      const v = select(event, expr.selector);
      if (v === MISSING) return expr.op === '!=' ? options.missingFieldNotEquals ?? false : false;
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
      const equal = wildcard(expr.value).test(String(v));
      return expr.op === '=' ? equal : !equal;
    }
    case 'number': {
      const v = select(event, expr.selector);
      if (v === MISSING) return expr.op === '!=' ? options.missingFieldNotEquals ?? false : false;
      if (typeof v !== 'number') return false;
      switch (expr.op) {
        case '=': return v === expr.value;
        case '!=': return v !== expr.value;
        case '<': return v < expr.value;
        case '<=': return v <= expr.value;
        case '>': return v > expr.value;
        case '>=': return v >= expr.value;
      }
    }
  }
}

/** True when the JSON log event matches the filter pattern. */
export function matchesFilterPattern(pattern: string, event: unknown, options: MatchOptions = {}): boolean {
  return evaluate(parseFilterPattern(pattern), event, options);
}
