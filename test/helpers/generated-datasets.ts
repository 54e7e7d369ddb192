/**
 * Datasets configs of any size for scale tests: the bench's generator (every classification and field handling,
 * half with source auth), `perGroup` datasets per group (0: no groups). Deterministic.
 */
export { benchDatasets as generatedDatasets } from '../../bench/datasets';
