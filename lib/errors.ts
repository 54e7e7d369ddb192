/** One problem found while validating props or configuration. */
export interface ConfigurationProblem {
  /** Where the problem is, e.g. `datasets[1].fields.ssn.handling` or `SecureBucket.bucketProps.enforceSSL`. */
  readonly path: string;
  /** What is wrong. */
  readonly problem: string;
  /** What to do instead. */
  readonly fix: string;
}

/**
 * Thrown when construct props or a configuration file are insecure, inconsistent or malformed.
 * Every problem found is reported at once, each naming where it is and how to fix it.
 */
export class ConfigurationError extends Error {
  public readonly problems: readonly ConfigurationProblem[];

  constructor(context: string, problems: readonly ConfigurationProblem[]) {
    const lines = problems.map((p) => `  - ${p.path}: ${p.problem}. Fix: ${p.fix}`);
    super(`${context}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n${lines.join('\n')}`);
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

/** Bounds of a whole-number prop, and the unit its messages name. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  /** e.g. 'days', 'MB'. @default none */
  readonly unit?: string;
}

/**
 * A value as a message shows it: strings quoted, everything else as JavaScript would print it, cut short so a
 * careless multi-kilobyte value does not flood the error.
 */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') text = String(value);
  else if (value === undefined) text = 'undefined';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Collects problems and throws them together, so a user fixes everything in one pass. */
export class ProblemCollector {
  private readonly problems: ConfigurationProblem[] = [];

  constructor(private readonly context: string) {}

  public add(path: string, problem: string, fix: string): void {
    this.problems.push({ path, problem, fix });
  }

  /**
   * Runs a check that throws a ConfigurationError of its own (a config validator) and keeps its problems with
   * these, so they are reported together. Returns the check's result, or undefined when it found problems.
   */
  public collect<T>(check: () => T): T | undefined {
    try {
      return check();
    } catch (e) {
      if (!(e instanceof ConfigurationError)) throw e;
      this.problems.push(...e.problems);
      return undefined;
    }
  }

  public get count(): number {
    return this.problems.length;
  }

  /**
   * The props object itself: an object, and no prop set to `null`. JavaScript callers use null for "not set", which
   * `prop ?? default` would read as the default and `prop !== undefined` as a value; neither is safe to guess, so
   * null is refused by name. Throws at once when props is not an object, since nothing else can be checked.
   */
  public checkPropsObject(props: unknown): void {
    if (typeof props !== 'object' || props === null || Array.isArray(props)) {
      this.add('props', `${describeValue(props)} is not an object of props`, 'pass an object, e.g. { ... }');
      this.throwIfAny();
      return;
    }
    for (const [key, value] of Object.entries(props)) {
      if (value === null) this.add(key, 'is null', 'leave it out for the default, or give a value');
    }
  }

  /**
   * A boolean prop given something else. JavaScript callers (and JSON) can pass `1`, `"true"` or `"false"`, which
   * `if (prop)` reads one way and `prop === true` another; neither is what the caller meant, so both are refused.
   * Returns whether the value is usable: a boolean, or undefined (the default).
   */
  public checkBoolean(path: string, value: unknown): value is boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return true;
    this.add(path, `${describeValue(value)} is not a boolean`, 'pass true or false (or leave it out for the default)');
    return false;
  }

  /** A whole number within a range; undefined (the default) is accepted. Returns whether the value is usable. */
  public checkInteger(path: string, value: unknown, range: IntegerRange): value is number | undefined {
    if (value === undefined) return true;
    const unit = range.unit ? ` ${range.unit}` : '';
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
      this.add(path, `${describeValue(value)}${unit} is not a whole number from ${range.min} to ${range.max}`,
        `use a whole number from ${range.min} to ${range.max}${unit}`);
      return false;
    }
    return true;
  }

  /** One of a fixed set of values; undefined is accepted only when `optional`. Returns whether the value is usable. */
  public checkOneOf<T>(path: string, value: unknown, allowed: readonly T[], optional = false): boolean {
    if ((optional && value === undefined) || allowed.includes(value as T)) return true;
    this.add(path, `${describeValue(value)} is not one of the accepted values`, `use one of ${allowed.map((a) => describeValue(a)).join(', ')}`);
    return false;
  }

  /** Throws a ConfigurationError when anything was added. */
  public throwIfAny(): void {
    if (this.problems.length > 0) {
      throw new ConfigurationError(this.context, this.problems);
    }
  }
}
