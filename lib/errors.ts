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

/** Collects problems and throws them together, so a user fixes everything in one pass. */
export class ProblemCollector {
  private readonly problems: ConfigurationProblem[] = [];

  constructor(private readonly context: string) {}

  public add(path: string, problem: string, fix: string): void {
    this.problems.push({ path, problem, fix });
  }

  public get count(): number {
    return this.problems.length;
  }

  /** Throws a ConfigurationError when anything was added. */
  public throwIfAny(): void {
    if (this.problems.length > 0) {
      throw new ConfigurationError(this.context, this.problems);
    }
  }
}
