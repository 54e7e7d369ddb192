/**
 * The one detector of credentials where they do not belong: in URLs (user:password@, or a query or fragment
 * parameter named like a credential) and values that are secrets whatever they are called. The datasets config,
 * ApiCredential props and the Lambda-environment rule all use it. Pure (no aws-cdk-lib), so handlers may share it.
 */
import { describeValue } from '../errors';

/** Parameter names that carry a credential, normalised (see {@link normaliseName}). */
const CREDENTIAL_NAMES: ReadonlySet<string> = new Set([
  'token', 'key', 'secret', 'password', 'passwd', 'pwd', 'pass', 'passphrase', 'auth', 'authorization', 'bearer',
  'jwt', 'sig', 'signature', 'credential', 'credentials', 'apikey', 'accesskey', 'secretkey', 'privatekey',
  'clientsecret', 'accesstoken', 'authtoken', 'sessiontoken', 'refreshtoken', 'idtoken', 'securitytoken',
  'sessionid', 'session', 'otp', 'pin',
]);

/**
 * Endings that make a name a credential whatever precedes them: `my_api_key`, `X-Amz-Signature`,
 * `X-Amz-Security-Token`, `Ocp-Apim-Subscription-Key`, `jsessionid`.
 */
const CREDENTIAL_ENDINGS: readonly string[] = [
  'token', 'apikey', 'authkey', 'accesskey', 'secretkey', 'privatekey', 'signingkey', 'subscriptionkey', 'appkey',
  'masterkey', 'sessionkey', 'secret', 'password', 'passwd', 'passphrase', 'signature', 'credential', 'credentials',
  'sessionid', 'sessid',
];

/** Words that make a name a credential wherever they stand (`password_hash`, `secret_value`). */
const CREDENTIAL_PARTS: readonly string[] = ['secret', 'password', 'passwd', 'apikey', 'privatekey'];

/** Paging cursors end in "token" but grant nothing; a source URL may legitimately carry one. */
const PAGING_CURSORS: ReadonlySet<string> = new Set([
  'pagetoken', 'nextpagetoken', 'nexttoken', 'continuationtoken', 'cursortoken', 'synctoken', 'paginationtoken',
]);

/** Values that are secrets whatever the variable or parameter holding them is called. */
const SECRET_VALUES: readonly RegExp[] = [
  /(^|[^A-Z0-9])(AKIA|ASIA)[0-9A-Z]{16}([^A-Z0-9]|$)/, // AWS access key id (long-term or temporary)
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /(^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, // JWT
  /(^|[^A-Za-z0-9])(ghp|gho|ghu|ghs|ghr|github_pat|xox[abposr]|sk_live|rk_live)_[A-Za-z0-9_-]{16,}/,
  /^(Bearer|Basic)\s+\S{8,}$/i, // an Authorization header value
  // A CloudFormation dynamic reference to a secret resolves into the plaintext value where it is used.
  /\{\{resolve:(secretsmanager|ssm-secure):/,
];

/** Lower case, letters and digits only: `X-Api-Key`, `x_api_key` and `X.API.KEY` are all `xapikey`. */
export function normaliseName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Whether a query, fragment or form parameter of this name carries a credential (case and separators ignored). */
export function isCredentialParameter(name: string): boolean {
  const n = normaliseName(name);
  if (n.length === 0 || PAGING_CURSORS.has(n)) return false;
  return CREDENTIAL_NAMES.has(n)
    || CREDENTIAL_ENDINGS.some((ending) => n.endsWith(ending))
    || CREDENTIAL_PARTS.some((part) => n.includes(part));
}

/** Whether a value is a secret by its shape (access keys, private keys, JWTs, vendor tokens, auth headers). */
export function looksLikeSecretValue(value: string): boolean {
  return SECRET_VALUES.some((p) => p.test(value));
}

/** `a=1&b=2;c=3` → [['a','1'], ['b','2'], ['c','3']], decoded where it can be (servers split on `;` too). */
function parameters(text: string): Array<[string, string]> {
  return text.split(/[&;]/).filter((pair) => pair.length > 0).map((pair) => {
    const at = pair.indexOf('=');
    const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    return [decode(name), decode(value)];
  });
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * What makes one absolute URL carry a credential: user info, a query or fragment parameter named like a
 * credential, or a parameter value or path that is a secret by its shape. Empty when there is nothing, or when
 * the text is not an absolute URL (callers that need a URL check that separately).
 */
export function urlCredentialProblems(value: string): string[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [];
  }
  const problems = new Set<string>();
  if (url.username || url.password) problems.add('contains credentials (user info before @)');
  for (const [where, text] of [['query', url.search.slice(1)], ['fragment', url.hash.slice(1)]] as const) {
    for (const [name, paramValue] of parameters(text)) {
      if (isCredentialParameter(name)) problems.add(`${where} parameter "${name}" looks like a credential`);
      else if (looksLikeSecretValue(paramValue)) problems.add(`the value of ${where} parameter "${name}" looks like a secret`);
    }
  }
  if (looksLikeSecretValue(decode(url.pathname))) problems.add('its path holds what looks like a secret');
  return [...problems];
}

/** Every absolute URL (any scheme: https, postgres, redis, ...) written inside a text. */
export function urlsIn(text: string): string[] {
  return text.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi) ?? [];
}

/** Credential problems of every URL inside a text (a connection string, a JSON document, an env value). */
export function textCredentialProblems(text: string): string[] {
  const problems = urlsIn(text).flatMap((url) => urlCredentialProblems(url).map((p) => `${redactUrl(url)} ${p}`));
  if (looksLikeSecretValue(text)) problems.push('holds what looks like a secret value');
  return problems;
}

/** An http(s) URL a construct calls: absolute, HTTPS, no credential in it. Every problem found, in words. */
export function httpsUrlProblems(value: unknown): string[] {
  if (typeof value !== 'string') return [`${value === undefined ? 'is missing' : `${typeof value} is not a URL`}`];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [`${describeValue(value)} is not an absolute URL`];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:') problems.push(`uses ${url.protocol.replace(':', '')}, not HTTPS`);
  if (url.hostname === '') problems.push('has no host');
  return [...problems, ...urlCredentialProblems(value)];
}

/** A URL for an error message: scheme and host only, so the message does not repeat the secret it reports. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}/…`;
  } catch {
    return 'a URL';
  }
}
