import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance } from 'cdk-nag';

/** Variable names that hold a secret when given a literal value (names ending in ARN/NAME/ID/URL point to one). */
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|AUTH)/i;
const REFERENCE_NAME = /(_ARN|_NAME|_ID|_URL|_PARAMETER|_PATH)$/i;
/** Values that are secrets whatever the variable is called. */
const SECRET_VALUE = [
  /AKIA[0-9A-Z]{16}/, // AWS access key id
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /^eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // JWT
  /^(ghp|gho|xox[abp]|sk_live)_?[A-Za-z0-9]{16,}/,
];

/** Names of the variables whose literal value looks like a secret (tokens and references are fine). */
export function secretLikeVariables(variables: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(variables)
    .filter(([name, value]) => typeof value === 'string' && !Token.isUnresolved(value) && (
      SECRET_VALUE.some((p) => p.test(value))
      || (SECRET_NAME.test(name) && !REFERENCE_NAME.test(name) && value.length > 0 && !value.startsWith('arn:'))))
    .map(([name]) => name);
}

/** Lambda environment variables carry references to secrets, never secret values (they are visible in the console). */
export function NoSecretInLambdaEnvironment(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnFunction)) return NagRuleCompliance.NOT_APPLICABLE;
  const env = Stack.of(node).resolve(node.environment) as { variables?: Record<string, unknown> } | undefined;
  return secretLikeVariables(env?.variables ?? {}).length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
