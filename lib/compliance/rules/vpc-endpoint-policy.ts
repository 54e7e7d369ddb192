import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { isJsonObject, JsonObject, templateProperties } from './template-view';

/** Endpoint types that take a policy (an absent type means Gateway); GWLB, Resource and ServiceNetwork ones do not. */
const TYPES_WITH_POLICY = ['Gateway', 'Interface'];

function isWildcard(value: unknown): boolean {
  return value === '*' || (Array.isArray(value) && value.includes('*'));
}

/** The policy EC2 attaches when none is given, written out: it allows everything to everyone. */
function allowsEverything(statement: JsonObject): boolean {
  const principal = statement.Principal;
  const anyone = isWildcard(principal) || (isJsonObject(principal) && isWildcard(principal.AWS));
  return statement.Effect === 'Allow' && anyone && isWildcard(statement.Action) && isWildcard(statement.Resource)
    && statement.Condition === undefined;
}

function statementsOf(document: unknown): unknown[] | undefined {
  let parsed = document;
  if (typeof document === 'string') {
    try {
      parsed = JSON.parse(document);
    } catch {
      return undefined;
    }
  }
  if (!isJsonObject(parsed)) return undefined;
  return Array.isArray(parsed.Statement) ? parsed.Statement : isJsonObject(parsed.Statement) ? [parsed.Statement] : undefined;
}

/**
 * Every Gateway and Interface endpoint has a policy of its own. Without one EC2 attaches a full-access policy, so
 * the endpoint carries any principal's calls to any resource of the service (another account's bucket included);
 * a policy that only restates that (`*` principal, action and resource, no condition) is the same as none. A
 * policy we cannot read at synth (an intrinsic) is non-compliant.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html
 */
export function VpcEndpointPolicy(node: CfnResource): NagRuleCompliance {
  if (node.cfnResourceType !== 'AWS::EC2::VPCEndpoint') return NagRuleCompliance.NOT_APPLICABLE;
  const { VpcEndpointType: type, PolicyDocument: document } = templateProperties(node);
  if (typeof type === 'string' && !TYPES_WITH_POLICY.includes(type)) return NagRuleCompliance.NOT_APPLICABLE;
  const statements = statementsOf(document);
  return statements !== undefined && statements.length > 0
    && statements.every((s) => isJsonObject(s) && !allowsEverything(s))
    ? NagRuleCompliance.COMPLIANT
    : NagRuleCompliance.NON_COMPLIANT;
}
