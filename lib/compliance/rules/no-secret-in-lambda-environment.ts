import { CfnResource, Stack, Token } from 'aws-cdk-lib';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance } from 'cdk-nag';
import { textCredentialProblems } from '../../config/credentials';

/** Name endings that say the value points to a secret rather than being one (the value is still checked). */
const REFERENCE_WORDS: ReadonlySet<string> = new Set(['ARN', 'ARNS', 'NAME', 'ID', 'URL', 'URI', 'PARAMETER', 'PATH']);
/** Words that name a secret wherever they stand in the name (`DBPASSWORD`, `CLIENT_SECRET_VALUE`). */
const SECRET_PARTS = /(PASSWORD|PASSWD|SECRET|APIKEY|PRIVATEKEY|CREDENTIAL|PASSPHRASE)/;
/** Last words that name a secret (`DB_PASS`, `DB_PWD`, `HMAC_KEY`, `API_TOKEN`, `AUTH`), and whole-word TOKEN/PWD. */
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set(['PASS', 'PWD', 'KEY', 'TOKEN', 'AUTH', 'AUTHORIZATION', 'SIG', 'SIGNATURE', 'SALT']);
const SECRET_WORDS: ReadonlySet<string> = new Set(['TOKEN', 'PWD']);

/** `dbPassword` / `DB_PASSWORD` / `db-password` → ['DB', 'PASSWORD']. */
function words(name: string): string[] {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase().split(/[^A-Z0-9]+/).filter((w) => w.length > 0);
}

/** Whether a variable's name says it holds a secret (and does not end like a reference to one). */
function secretName(name: string): boolean {
  const parts = words(name);
  const last = parts[parts.length - 1] ?? '';
  if (REFERENCE_WORDS.has(last)) return false;
  return SECRET_PARTS.test(parts.join('')) || SECRET_LAST_WORDS.has(last) || parts.some((w) => SECRET_WORDS.has(w))
    || /TOKEN$/.test(parts.join(''));
}

/**
 * Names of the variables whose literal value is, or carries, a secret: a URL with credentials in it (any name,
 * `DATABASE_URL=postgres://admin:pw@…` included), a value shaped like a secret, or any non-empty value that is not
 * an ARN under a name such as `*_PASSWORD`, `*_PASS`, `*_PWD`, `*_SECRET`, `*_TOKEN` or `*_KEY`. Tokens (references
 * resolved at deploy time) are fine.
 */
export function secretLikeVariables(variables: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(variables)
    .filter(([name, value]) => typeof value === 'string' && !Token.isUnresolved(value) && (
      textCredentialProblems(value).length > 0
      || (secretName(name) && value.length > 0 && !value.startsWith('arn:'))))
    .map(([name]) => name);
}

/** Lambda environment variables carry references to secrets, never secret values (they are visible in the console). */
export function NoSecretInLambdaEnvironment(node: CfnResource): NagRuleCompliance {
  if (!(node instanceof CfnFunction)) return NagRuleCompliance.NOT_APPLICABLE;
  const env = Stack.of(node).resolve(node.environment) as { variables?: Record<string, unknown> } | undefined;
  return secretLikeVariables(env?.variables ?? {}).length > 0 ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
}
