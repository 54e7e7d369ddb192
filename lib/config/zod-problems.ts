import type { z } from 'zod';
import type { ConfigurationProblem } from '../errors';

/** Turns zod issues into ConfigurationProblems with a readable path and a fix. */
export function zodProblems(error: z.ZodError, root: string): ConfigurationProblem[] {
  return error.issues.map((issue) => ({
    path: formatPath(root, issue.path),
    problem: issue.message,
    fix: fixFor(issue),
  }));
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    root,
  );
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `remove ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling against the README)`;
    case 'invalid_type':
      return `give a value of type ${issue.expected}`;
    case 'invalid_value':
      return `use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return issue.format === 'regex' && 'pattern' in issue ? `match the pattern ${String(issue.pattern)}` : `use a valid ${issue.format}`;
    default:
      return 'correct the value as described in the README';
  }
}
