/** The profile and datasets a whole pipeline is built from, validated together. Pure. */
import { ProblemCollector } from '../errors';
import { DatasetsConfig, validateDatasetsConfig } from './datasets';
import { Profile, validateProfile } from './profiles';

/**
 * Checks a profile and a datasets config however they were made (resolved from files or built in code), and
 * throws one ConfigurationError with the problems of both. Returns the resolved copies.
 */
export function validatePipelineConfig(profile: unknown, datasets: unknown, where: string): { profile: Profile; datasets: DatasetsConfig } {
  const problems = new ProblemCollector(`Invalid ${where}`);
  const resolved = { profile: problems.collect(() => validateProfile(profile, 'profile')), datasets: problems.collect(() => validateDatasetsConfig(datasets, 'datasets')) };
  problems.throwIfAny();
  return resolved as { profile: Profile; datasets: DatasetsConfig };
}
