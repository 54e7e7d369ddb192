/**
 * Jest snapshot serializer that replaces churn (asset hashes, CDK version metadata) with stable placeholders,
 * so snapshots change only when the infrastructure does.
 */
const HASH = /[0-9a-f]{64}/g;
const HAS_HASH = /[0-9a-f]{64}/;

function normalize(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(HASH, '[HASH]');
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'AWS::CDK::Metadata' || (k === 'CDKMetadata')) continue;
      out[k] = normalize(v);
    }
    return out;
  }
  return value;
}

const MARK = Symbol.for('secure-data-pipeline:stable');

export function test(value: unknown): boolean {
  return !!value && typeof value === 'object' && !(value as Record<symbol, unknown>)[MARK] && containsChurn(value);
}

export function serialize(value: unknown, config: unknown, indentation: string, depth: number, refs: unknown, printer: (v: unknown, ...rest: unknown[]) => string): string {
  const stable = normalize(value) as Record<symbol, unknown>;
  Object.defineProperty(stable, MARK, { value: true, enumerable: false });
  return printer(stable, config, indentation, depth, refs);
}

function containsChurn(value: unknown): boolean {
  const text = JSON.stringify(value);
  return HAS_HASH.test(text) || text.includes('"CDKMetadata"');
}
