/**
 * EventBridge schedule expressions as EventBridge itself accepts them, so a bad one is refused at synth instead of
 * by CloudFormation. Rules from https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html
 * (a value of 1 takes the singular unit, larger values the plural) and
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html (six fields; `?` in
 * day-of-month or day-of-week, never both given). Pure.
 */

const RATE = /^rate\((\d+) ([a-z]+)\)$/;
const UNITS: Readonly<Record<string, 'singular' | 'plural'>> = {
  minute: 'singular', hour: 'singular', day: 'singular', minutes: 'plural', hours: 'plural', days: 'plural',
};

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Wildcards besides `, - * /`. */
  readonly extra: string;
  readonly names?: readonly string[];
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59, extra: '' },
  { name: 'hours', min: 0, max: 23, extra: '' },
  { name: 'day-of-month', min: 1, max: 31, extra: '?LW' },
  { name: 'month', min: 1, max: 12, extra: '', names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, extra: '?L#', names: DAYS },
  { name: 'year', min: 1970, max: 2199, extra: '' },
];

/** What is wrong with a schedule expression, or undefined when EventBridge accepts it. */
export function scheduleProblem(expression: string): string | undefined {
  if (expression.startsWith('rate(')) return rateProblem(expression);
  if (expression.startsWith('cron(') && expression.endsWith(')')) return cronProblem(expression.slice(5, -1));
  return `"${expression}" is neither rate(value unit) nor cron(six fields)`;
}

function rateProblem(expression: string): string | undefined {
  const m = RATE.exec(expression);
  if (!m) return `"${expression}" is not rate(value unit) with one space, e.g. rate(1 hour) or rate(15 minutes)`;
  const value = Number(m[1]);
  const form = Object.hasOwn(UNITS, m[2]!) ? UNITS[m[2]!] : undefined;
  if (!form) return `"${m[2]}" is not a rate unit (minute(s), hour(s), day(s))`;
  if (value < 1 || !Number.isSafeInteger(value)) return `${m[1]} is not a positive whole number`;
  if (value === 1 && form === 'plural') return `"${expression}" needs the singular unit for 1 (rate(1 ${m[2]!.slice(0, -1)}))`;
  if (value > 1 && form === 'singular') return `"${expression}" needs the plural unit for ${value} (rate(${value} ${m[2]}s))`;
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6) {
    return `cron(${body}) has ${fields.length} fields; EventBridge takes six: minutes hours day-of-month month day-of-week year`;
  }
  for (const [i, field] of CRON_FIELDS.entries()) {
    const problem = cronFieldProblem(fields[i]!, field);
    if (problem) return `cron(${body}): ${problem}`;
  }
  const [dayOfMonth, dayOfWeek] = [fields[2]!, fields[4]!];
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return `cron(${body}): exactly one of day-of-month and day-of-week must be "?"`;
  }
  return undefined;
}

function cronFieldProblem(text: string, field: CronField): string | undefined {
  const bad = `${field.name} "${text}" is not valid (${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names[field.names.length - 1]}` : ''}, with , - * /${field.extra ? ` ${field.extra.split('').join(' ')}` : ''})`;
  if (text === '?') return field.extra.includes('?') ? undefined : bad;
  for (const part of text.split(',')) {
    if (!cronPartValid(part, field)) return bad;
  }
  return undefined;
}

function cronPartValid(part: string, field: CronField): boolean {
  const value = (v: string): boolean => {
    const named = field.names?.indexOf(v.toUpperCase()) ?? -1;
    if (named >= 0) return true;
    if (!/^\d{1,4}$/.test(v)) return false;
    return Number(v) >= field.min && Number(v) <= field.max;
  };
  if (field.extra.includes('L') && (part === 'L' || (field.name === 'day-of-week' && /^[1-7]L$/.test(part)))) return true;
  if (field.extra.includes('W') && /^\d{1,2}W$/.test(part)) return value(part.slice(0, -1));
  if (field.extra.includes('#')) {
    const hash = /^(\w+)#([1-5])$/.exec(part);
    if (hash) return value(hash[1]!);
  }
  const [range, step, ...rest] = part.split('/');
  if (rest.length > 0 || range === undefined || range === '') return false;
  if (step !== undefined && (!/^\d{1,4}$/.test(step) || Number(step) < 1)) return false;
  if (range === '*') return true;
  const ends = range.split('-');
  if (ends.length > 2) return false;
  return ends.every(value);
}
