/**
 * Finding 15: one detector of credential-bearing URLs serves the datasets config, ApiCredential and the Lambda
 * environment rule. Generated credential-bearing URLs are always caught, wherever they are written; generated
 * plain URLs and ARNs never are.
 */
import fc from 'fast-check';
import { Classification } from '../../lib/classification';
import { secretLikeVariables } from '../../lib/compliance';
import { textCredentialProblems, urlCredentialProblems, validateDatasetsConfig } from '../../lib/config';
import { ConfigurationError } from '../../lib/errors';
import { arn, credentialParameterName, credentialUrl, plainHttpsUrl } from './support/props';

const RUNS = { numRuns: 300 };

const envName = fc.stringMatching(/^[A-Z][A-Z0-9]{0,8}$/);

function datasetWithUrl(url: string) {
  return { datasets: [{
    name: 'orders', classification: Classification.INTERNAL, idField: 'id', source: { url },
    fields: [{ name: 'id', type: 'string' }, { name: 'total', type: 'number' }],
  }] };
}

describe('credential-bearing URLs', () => {
  test('the brief\'s cases: DATABASE_URL with user:password, SOURCE_URL with api_key, DB_PASS', () => {
    // All three passed the environment rule before (names ending in _URL were skipped, DB_PASS matched no pattern).
    expect(secretLikeVariables({
      DATABASE_URL: 'postgres://admin:pw@db.internal:5432/app',
      SOURCE_URL: 'https://api.example.com/v1/orders?api_key=abc123',
      DB_PASS: 'hunter2',
      DB_PWD: 'hunter2',
      HMAC_KEY: 'c2VjcmV0',
      CLIENT_SECRET_VALUE: 'x',
      TOKENIZATION_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:tok',
      DATA_KEY_ID: 'arn:aws:kms:eu-west-1:111111111111:key/1234',
      API_BASE_URL: 'https://api.example.com/v1',
      LOG_LEVEL: 'INFO',
    }).sort()).toEqual(['CLIENT_SECRET_VALUE', 'DATABASE_URL', 'DB_PASS', 'DB_PWD', 'HMAC_KEY', 'SOURCE_URL']);
  });

  test('property: always caught in a URL, in any text holding it, and in an environment variable of any name', () => {
    fc.assert(fc.property(credentialUrl, envName, fc.constantFrom('', 'jdbc:', 'url=', '{"source":"'), (url, name, before) => {
      expect(urlCredentialProblems(url).length).toBeGreaterThan(0);
      expect(textCredentialProblems(`${before}${url}`).length).toBeGreaterThan(0);
      for (const suffix of ['_URL', '_URI', '_ENDPOINT', '', '_ARN']) {
        expect(secretLikeVariables({ [`${name}${suffix}`]: `${before}${url}` })).toEqual([`${name}${suffix}`]);
      }
    }), RUNS);
  });

  test('property: a credential parameter in any spelling is refused in a dataset source URL, naming source.url', () => {
    fc.assert(fc.property(plainHttpsUrl, credentialParameterName, (url, name) => {
      const withCredential = `${url}${url.includes('?') ? '&' : '?'}${encodeURIComponent(name)}=x`;
      let error: unknown;
      try {
        validateDatasetsConfig(datasetWithUrl(withCredential));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).problems.map((p) => p.path)).toContain('datasets[0] "orders".source.url');
    }), RUNS);
  });

  test('property: plain URLs and ARNs are never caught, under reference names or secret-sounding ones', () => {
    fc.assert(fc.property(plainHttpsUrl, arn, envName, (url, value, name) => {
      expect(urlCredentialProblems(url)).toEqual([]);
      expect(validateDatasetsConfig(datasetWithUrl(url)).datasets[0]!.source.url).toBe(url);
      expect(secretLikeVariables({ [`${name}_URL`]: url, [`${name}_ARN`]: value, [`${name}_SECRET_ARN`]: value, [`${name}_TOKEN`]: value, [`${name}_KEY`]: value }))
        .toEqual([]);
    }), RUNS);
  });

  test('property: a literal non-ARN value under *_PASS, *_PWD, *_SECRET, *_TOKEN, *_KEY, *_PASSWORD is caught', () => {
    fc.assert(fc.property(
      envName,
      fc.constantFrom('_PASS', '_PWD', '_SECRET', '_TOKEN', '_KEY', '_PASSWORD', '_API_KEY', 'Password', 'Token'),
      fc.string({ minLength: 1, maxLength: 20 }).filter((v) => !v.startsWith('arn:')),
      (name, suffix, value) => {
        expect(secretLikeVariables({ [`${name}${suffix}`]: value })).toEqual([`${name}${suffix}`]);
      },
    ), RUNS);
  });
});
