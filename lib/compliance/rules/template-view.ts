/**
 * How our pack's rules read a resource: as the synthesized template shows it (type, properties with tags rendered
 * and overrides applied, references to other resources), whatever construct or library made it.
 */
import { CfnResource, Stack } from 'aws-cdk-lib';

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface StackIndex {
  readonly byLogicalId: ReadonlyMap<string, CfnResource>;
  readonly byType: ReadonlyMap<string, readonly CfnResource[]>;
  /** Who names each resource (`Ref`/`Fn::GetAtt`), built on first use. */
  referrers?: ReadonlyMap<string, readonly Referrer[]>;
}

/** A resource that names another in one of its properties. */
export interface Referrer {
  readonly resource: CfnResource;
  /** The top-level property the reference is in, e.g. `FunctionName`, `ServiceToken`, `Targets`. */
  readonly property: string;
}

/**
 * Lookups cached for one validation pass only, when the construct tree no longer changes: without the cache
 * every reference a rule follows would walk the whole stack, and synth time would grow with the square of the
 * number of datasets.
 */
interface Session {
  readonly indexes: Map<Stack, StackIndex>;
  readonly properties: Map<CfnResource, JsonObject>;
}

let session: Session | undefined;

/** Runs `pass` with the lookups of this module cached; the cache is dropped when `pass` returns. */
export function withTemplateCache<T>(pass: () => T): T {
  if (session) return pass();
  session = { indexes: new Map(), properties: new Map() };
  try {
    return pass();
  } finally {
    session = undefined;
  }
}

/**
 * The resource's `Properties` as CloudFormation will receive them, tokens resolved; `{}` when it has none.
 * Read from the L1's own rendering so plain `CfnResource`s and other libraries' L1s look like ours.
 */
export function templateProperties(node: CfnResource): JsonObject {
  const cached = session?.properties.get(node);
  if (cached) return cached;
  const rendered = Stack.of(node).resolve(node._toCloudFormation()) as { Resources?: Record<string, { Properties?: unknown }> };
  const definition = Object.values(rendered.Resources ?? {})[0];
  const properties = isJsonObject(definition?.Properties) ? definition.Properties : {};
  session?.properties.set(node, properties);
  return properties;
}

/**
 * The resource in `from`'s stack that `value` names with `Ref` or `Fn::GetAtt`. Undefined for anything else:
 * literals, parameters, pseudo parameters, imports and resources of other stacks, which rules must then judge
 * conservatively.
 */
export function referencedResource(from: CfnResource, value: unknown): CfnResource | undefined {
  const resolved = Stack.of(from).resolve(value) as unknown;
  if (!isJsonObject(resolved)) return undefined;
  const getAtt = resolved['Fn::GetAtt'];
  const target = typeof resolved.Ref === 'string' ? resolved.Ref
    : Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0]
      : undefined;
  if (target === undefined) return undefined;
  const stack = Stack.of(from);
  return stackIndex(stack).byLogicalId.get(target) ?? throughNestedStackParameter(stack, target);
}

/**
 * In a nested stack, a reference to a resource of the parent arrives as a `Ref` to a parameter the parent sets on
 * the AWS::CloudFormation::Stack resource: follow it to the parent's resource, so rules judge a nested stack's
 * resources as they judge the parent's (a store mapping in a dataset group still reads from the MSK cluster).
 */
function throughNestedStackParameter(stack: Stack, parameterId: string): CfnResource | undefined {
  const parent = stack.nestedStackResource;
  if (!parent || !stack.nestedStackParent) return undefined;
  const parameters = templateProperties(parent).Parameters;
  return isJsonObject(parameters) && parameterId in parameters ? referencedResource(parent, parameters[parameterId]) : undefined;
}

/** Every resource of CloudFormation type `type` in the stack of `node` (not in nested or sibling stacks). */
export function resourcesOfType(node: CfnResource, type: string): readonly CfnResource[] {
  return stackIndex(Stack.of(node)).byType.get(type) ?? [];
}

/**
 * Every resource of the stack that names `node` with `Ref` or `Fn::GetAtt` anywhere in its properties, once per
 * property. One walk over the stack's properties per validation pass, so asking for every function stays linear.
 */
export function referrersOf(node: CfnResource): readonly Referrer[] {
  const stack = Stack.of(node);
  const index = stackIndex(stack);
  if (!index.referrers) {
    const referrers = new Map<string, Referrer[]>();
    for (const resource of index.byLogicalId.values()) {
      for (const [property, value] of Object.entries(templateProperties(resource))) {
        for (const target of new Set(referencedLogicalIds(value))) {
          const list = referrers.get(target);
          if (list) list.push({ resource, property });
          else referrers.set(target, [{ resource, property }]);
        }
      }
    }
    index.referrers = referrers;
  }
  return index.referrers.get(stack.resolve(node.logicalId) as string) ?? [];
}

function referencedLogicalIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedLogicalIds);
  if (!isJsonObject(value)) return [];
  const getAtt = value['Fn::GetAtt'];
  if (typeof value.Ref === 'string') return [value.Ref];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]];
  return Object.values(value).flatMap(referencedLogicalIds);
}

/** A tag's value as the template carries it: `Tags` is a list of `{Key, Value}` for most types, a map for some (MSK). */
export function tagValue(node: CfnResource, key: string): string | undefined {
  const tags = templateProperties(node).Tags;
  if (Array.isArray(tags)) {
    const tag = tags.find((t): t is JsonObject => isJsonObject(t) && t.Key === key);
    return typeof tag?.Value === 'string' ? tag.Value : undefined;
  }
  return isJsonObject(tags) && typeof tags[key] === 'string' ? tags[key] : undefined;
}

function stackIndex(stack: Stack): StackIndex {
  const cached = session?.indexes.get(stack);
  if (cached) return cached;
  const byLogicalId = new Map<string, CfnResource>();
  const byType = new Map<string, CfnResource[]>();
  for (const c of stack.node.findAll()) {
    if (!CfnResource.isCfnResource(c) || Stack.of(c) !== stack) continue;
    byLogicalId.set(stack.resolve(c.logicalId) as string, c);
    const sameType = byType.get(c.cfnResourceType);
    if (sameType) sameType.push(c);
    else byType.set(c.cfnResourceType, [c]);
  }
  const index: StackIndex = { byLogicalId, byType };
  session?.indexes.set(stack, index);
  return index;
}

/** An integer property as CloudFormation reads it (a number, or a string of digits); undefined for anything else. */
export function integerValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : undefined;
}
