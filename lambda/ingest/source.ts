/**
 * Reading the source API, one page at a time.
 *
 * Protocol (what a source must implement):
 * - `GET <source.url>` with `Authorization: Bearer <token>` and `Accept: application/json` returns JSON.
 * - Records: `body[source.recordsPath]` when recordsPath is set (it must be an array), or the body itself when
 *   the body is an array.
 * - Next page, in an object body, either
 *   - a non-empty string `nextCursor` (or `next_cursor`): the next request is `<source.url>` with the query
 *     parameter `cursor=<value>` set (other query parameters of the URL are kept); or
 *   - a non-empty string `next`: a link (absolute, or relative to the page) to the next page. It must be on the
 *     origin of `source.url` (scheme, host and port): a link to another origin fails the run and is logged as a
 *     security event, and nothing is sent there — neither the token nor a request.
 *   Neither (absent, null or "") means this is the last page for now. An array body has no next page.
 * - Cursors and links are opaque to us and at most 2048 characters. A source that returns the position it was
 *   called with ends the run (rather than looping).
 *
 * Transport: HTTPS only, certificate verification on, TLS 1.2+, per-request deadline, `source.maxResponseBytes`
 * cap, no redirects (a 3xx fails the page, so the token never follows one). Every request is checked to be on the
 * configured origin before it is sent. HTTP 429, 5xx and transient network errors are retried (exponential backoff
 * with full jitter, Retry-After honoured, bounded attempts and total wait). HTTP 401 gets a fresh token from the
 * token endpoint (at most once per run, see ./credential.ts) and one retry. Any other status fails the page.
 */
import type { DatasetConfig } from '../../lib/config/datasets';
import { describeUrl, HttpsClient, HttpsRequestError, HttpsResponse, requireHttpsUrl } from '../shared/https-client';
import { DEFAULT_RETRY_POLICY, parseRetryAfterMs, RetriesExhaustedError, retrying, RetryDecision, RetryDeps, RetryPolicy } from '../shared/retry';
import type { BearerTokenProvider } from './credential';
import { SourceError } from './errors';
import type { PagePosition } from './watermark';

export interface SourcePage {
  readonly records: readonly unknown[];
  /** Where the next page is; undefined on the last page. */
  readonly next?: PagePosition;
}

export interface PageSource {
  /** Fetches the page at `position` (the first page when undefined). */
  fetchPage(position: PagePosition | undefined): Promise<SourcePage>;
}

/** The source logs only counts, statuses and URL origins and paths. */
export interface SourceLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface HttpPageSourceProps {
  readonly dataset: DatasetConfig;
  readonly http: HttpsClient;
  /** The bearer token source; absent for a source without `auth`, which is then read without a token. */
  readonly credentials?: BearerTokenProvider;
  readonly logger: SourceLogger;
  /** @default DEFAULT_RETRY_POLICY */
  readonly retryPolicy?: RetryPolicy;
  readonly retryDeps?: RetryDeps;
}

export const CURSOR_PARAMETER = 'cursor';
export const MAX_CURSOR_LENGTH = 2048;

/** The URL of the page at `position`: the source URL itself, with `cursor` set, or a link's path on its origin. */
export function pageUrl(sourceUrl: string, position: PagePosition | undefined): URL {
  const url = requireHttpsUrl(sourceUrl, 'source.url');
  if (position === undefined) return url;
  if ('cursor' in position) {
    url.searchParams.set(CURSOR_PARAMETER, position.cursor);
    return url;
  }
  // A stored link is the path and query of a link already checked to be on this origin.
  if (!position.link.startsWith('/') || position.link.startsWith('//')) {
    throw new SourceError('The stored next-page link is not a path on the source\'s origin; delete the dataset\'s watermark item to restart', 'EBADPAGE');
  }
  return new URL(position.link, url.origin);
}

/**
 * Reads records and the next position from a response body (see the protocol above). `page` is the URL the body
 * came from: relative links resolve against it, and links must stay on its origin.
 */
export function parsePage(body: Buffer, dataset: DatasetConfig, page: URL): SourcePage {
  const where = describeUrl(page);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    // JSON.parse's message quotes the body, which may hold record values: never pass it on.
    throw new SourceError(`Response from ${where} is not valid JSON (${body.length} bytes); the source must return a JSON document`, 'EMALFORMEDJSON');
  }
  const path = dataset.source.recordsPath;
  if (Array.isArray(doc)) {
    if (path !== undefined) {
      throw new SourceError(`Response from ${where} is a JSON array, but source.recordsPath is "${path}"; remove recordsPath or fix the source`, 'EBADPAGE');
    }
    return { records: doc };
  }
  if (typeof doc !== 'object' || doc === null) {
    throw new SourceError(`Response from ${where} is JSON but neither an object nor an array`, 'EBADPAGE');
  }
  const object = doc as Record<string, unknown>;
  if (path === undefined) {
    throw new SourceError(`Response from ${where} is a JSON object; set source.recordsPath to the property that holds the records`, 'EBADPAGE');
  }
  const records = Object.prototype.hasOwnProperty.call(object, path) ? object[path] : undefined;
  if (!Array.isArray(records)) {
    throw new SourceError(`Response from ${where} has no array at "${path}" (source.recordsPath)`, 'EBADPAGE');
  }
  const next = readNext(object, page);
  return next !== undefined ? { records, next } : { records };
}

function readNext(body: Record<string, unknown>, page: URL): PagePosition | undefined {
  const where = describeUrl(page);
  const own = (key: string): unknown => (Object.prototype.hasOwnProperty.call(body, key) ? body[key] : undefined);
  const text = (key: string): string | undefined => {
    const raw = own(key);
    if (raw === undefined || raw === null || raw === '') return undefined;
    if (typeof raw !== 'string') throw new SourceError(`Response from ${where} has a ${key} that is not a string`, 'EBADPAGE');
    if (raw.length > MAX_CURSOR_LENGTH) {
      throw new SourceError(`Response from ${where} has a ${key} longer than ${MAX_CURSOR_LENGTH} characters`, 'EBADPAGE');
    }
    return raw;
  };
  const cursor = text('nextCursor') ?? text('next_cursor');
  if (cursor !== undefined) return { cursor };
  const link = text('next');
  if (link === undefined) return undefined;
  let target: URL;
  try {
    target = new URL(link, page);
  } catch {
    throw new SourceError(`Response from ${where} has a next link that is not a URL`, 'EBADPAGE');
  }
  if (target.origin !== page.origin || target.username !== '' || target.password !== '') {
    throw new SourceError(
      `Response from ${where} links its next page to another origin (${target.protocol === 'https:' || target.protocol === 'http:' ? target.origin : target.protocol}); ` +
        `nothing is sent there and the run stops: the bearer token goes to ${page.origin} only. Fix the source or source.url`,
      CROSS_ORIGIN,
    );
  }
  return { link: `${target.pathname}${target.search}` };
}

/** A next link to another origin, or a request that would leave the configured origin. */
export const CROSS_ORIGIN = 'ECROSSORIGIN';

/** A status worth retrying (429 or 5xx), raised inside the retry loop only. */
class RetryableStatus extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | undefined,
    where: string,
  ) {
    super(`${where} answered HTTP ${status}`);
    this.name = 'RetryableStatus';
  }
}

const isRetryableStatus = (status: number): boolean => status === 429 || (status >= 500 && status <= 599);

export function createHttpPageSource(props: HttpPageSourceProps): PageSource {
  const { dataset, http, credentials, logger } = props;
  const policy = props.retryPolicy ?? DEFAULT_RETRY_POLICY;
  const now = props.retryDeps?.now ?? Date.now;
  const origin = requireHttpsUrl(dataset.source.url, 'source.url').origin;

  const classify = (error: unknown): RetryDecision => {
    if (error instanceof RetryableStatus) return { retry: true, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
    if (error instanceof HttpsRequestError) return { retry: error.transient };
    return { retry: false };
  };

  /** One GET with retries on 429/5xx/transient errors; returns the first response that is not retryable. */
  const getWithRetries = async (url: URL, token: string | undefined, where: string): Promise<HttpsResponse> => {
    // Every request is built from source.url, so this holds by construction; it is checked because the token rides along.
    if (url.origin !== origin) throw new SourceError(`Refusing to send a request for ${dataset.name} to ${url.origin}: only ${origin} is its source`, CROSS_ORIGIN);
    try {
      return await retrying(
        `Reading ${where}`,
        async (attempt) => {
          const response = await http.request({
            url,
            headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), accept: 'application/json', 'user-agent': 'secure-data-pipeline-ingest' },
            maxResponseBytes: dataset.source.maxResponseBytes,
          });
          if (isRetryableStatus(response.status)) {
            const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], now());
            logger.warn('Source answered with a retryable status', { dataset: dataset.name, url: where, status: response.status, attempt, retryAfterMs });
            throw new RetryableStatus(response.status, retryAfterMs, where);
          }
          return response;
        },
        classify,
        policy,
        props.retryDeps,
      );
    } catch (e) {
      throw toSourceError(e, where);
    }
  };

  return {
    async fetchPage(position) {
      const url = pageUrl(dataset.source.url, position);
      const where = describeUrl(url);
      let response = await getWithRetries(url, await credentials?.token(), where);
      if (response.status === 401 && !credentials) {
        throw new SourceError(`${where} requires authentication (HTTP 401): add source.auth to the dataset config`, 'HTTP_401');
      }
      if (response.status === 401 && credentials) {
        // The stored token may have expired between rotations: get a fresh one from the token endpoint, retry once.
        logger.info('Source refused the bearer token (HTTP 401); requesting a fresh token and retrying once', { dataset: dataset.name, url: where });
        response = await getWithRetries(url, await credentials.refresh(), where);
        if (response.status === 401) {
          throw new SourceError(
            `${where} refused the bearer token (HTTP 401) again with a token fresh from the token endpoint; check that the client is allowed to read this API`,
            'HTTP_401',
          );
        }
      }
      if (response.status < 200 || response.status > 299) {
        const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed; configure the final https:// URL)' : '';
        throw new SourceError(`${where} answered HTTP ${response.status}${redirect}`, `HTTP_${response.status}`);
      }
      try {
        return parsePage(response.body, dataset, url);
      } catch (e) {
        if (e instanceof SourceError && e.code === CROSS_ORIGIN) {
          logger.error('Security event: the source linked to another origin', { securityEvent: 'SourceLinkToOtherOrigin', dataset: dataset.name, url: where, reason: e.message });
        }
        throw e;
      }
    },
  };
}

function toSourceError(error: unknown, where: string): Error {
  if (error instanceof RetriesExhaustedError) {
    const last = error.lastError;
    const code = last instanceof RetryableStatus ? `HTTP_${last.status}` : last instanceof HttpsRequestError ? last.code : 'EUNKNOWN';
    return new SourceError(error.message, code, { cause: error });
  }
  if (error instanceof HttpsRequestError) return new SourceError(error.message, error.code, { cause: error });
  return error instanceof Error ? error : new SourceError(`Reading ${where} failed`, 'EUNKNOWN');
}
