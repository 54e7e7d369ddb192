/**
 * Reading the source API, one page at a time.
 *
 * Protocol (what a source must implement):
 * - `GET <source.url>` with `Authorization: Bearer <token>` and `Accept: application/json` returns JSON.
 * - Records: `body[source.recordsPath]` when recordsPath is set (it must be an array), or the body itself when
 *   the body is an array.
 * - Next page: a non-empty string `nextCursor` (or `next_cursor`) in an object body; the next request is
 *   `<source.url>` with the query parameter `cursor=<value>` set (other query parameters of the URL are kept).
 *   No cursor (absent, null or "") means this is the last page for now. An array body has no cursor.
 * - Cursors are opaque to us and at most 2048 characters. A source that returns the cursor it was called with ends
 *   the run (rather than looping).
 *
 * Transport: HTTPS only, certificate verification on, TLS 1.2+, per-request deadline, `source.maxResponseBytes`
 * cap, no redirects. HTTP 429, 5xx and transient network errors are retried (exponential backoff with full
 * jitter, Retry-After honoured, bounded attempts and total wait). HTTP 401 re-reads the credential secret once
 * and retries once. Any other status fails the page.
 */
import type { DatasetConfig } from '../../lib/config/datasets';
import { describeUrl, HttpsClient, HttpsRequestError, HttpsResponse, requireHttpsUrl } from '../shared/https-client';
import { DEFAULT_RETRY_POLICY, parseRetryAfterMs, RetriesExhaustedError, retrying, RetryDecision, RetryDeps, RetryPolicy } from '../shared/retry';
import type { BearerTokenProvider } from './credential';
import { SourceError } from './errors';

export interface SourcePage {
  readonly records: readonly unknown[];
  /** Cursor of the next page; undefined on the last page. */
  readonly nextCursor?: string;
}

export interface PageSource {
  /** Fetches the page at `cursor` (the first page when undefined). */
  fetchPage(cursor: string | undefined): Promise<SourcePage>;
}

/** The source logs only counts, statuses and the URL's origin and path. */
export interface SourceLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
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

/** The URL of the page at `cursor`: the source URL with `cursor` set as a query parameter. */
export function pageUrl(sourceUrl: string, cursor: string | undefined): URL {
  const url = requireHttpsUrl(sourceUrl, 'source.url');
  if (cursor !== undefined) url.searchParams.set(CURSOR_PARAMETER, cursor);
  return url;
}

/** Reads records and the next cursor from a response body (see the protocol above). */
export function parsePage(body: Buffer, dataset: DatasetConfig, where: string): SourcePage {
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
  const nextCursor = readCursor(object, where);
  return nextCursor !== undefined ? { records, nextCursor } : { records };
}

function readCursor(body: Record<string, unknown>, where: string): string | undefined {
  const own = (key: string): unknown => (Object.prototype.hasOwnProperty.call(body, key) ? body[key] : undefined);
  const raw = own('nextCursor') ?? own('next_cursor');
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw new SourceError(`Response from ${where} has a nextCursor that is not a string`, 'EBADPAGE');
  if (raw.length > MAX_CURSOR_LENGTH) {
    throw new SourceError(`Response from ${where} has a nextCursor longer than ${MAX_CURSOR_LENGTH} characters`, 'EBADPAGE');
  }
  return raw;
}

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

  const classify = (error: unknown): RetryDecision => {
    if (error instanceof RetryableStatus) return { retry: true, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) };
    if (error instanceof HttpsRequestError) return { retry: error.transient };
    return { retry: false };
  };

  /** One GET with retries on 429/5xx/transient errors; returns the first response that is not retryable. */
  const getWithRetries = async (url: URL, token: string | undefined, where: string): Promise<HttpsResponse> => {
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
    async fetchPage(cursor) {
      const url = pageUrl(dataset.source.url, cursor);
      const where = describeUrl(url);
      let response = await getWithRetries(url, await credentials?.token(), where);
      if (response.status === 401 && !credentials) {
        throw new SourceError(`${where} requires authentication (HTTP 401): add source.auth to the dataset config`, 'HTTP_401');
      }
      if (response.status === 401 && credentials) {
        // The rotation function may have replaced the token since the cache filled: re-read it once, retry once.
        logger.info('Source refused the bearer token (HTTP 401); re-reading the credential secret and retrying once', { dataset: dataset.name, url: where });
        response = await getWithRetries(url, await credentials.token({ forceRefresh: true }), where);
        if (response.status === 401) {
          throw new SourceError(
            `${where} refused the bearer token (HTTP 401) again after the credential secret was re-read; check that the rotation function succeeds and that the client is allowed to read this API`,
            'HTTP_401',
          );
        }
      }
      if (response.status < 200 || response.status > 299) {
        const redirect = response.status >= 300 && response.status < 400 ? ' (redirects are not followed; configure the final https:// URL)' : '';
        throw new SourceError(`${where} answered HTTP ${response.status}${redirect}`, `HTTP_${response.status}`);
      }
      return parsePage(response.body, dataset, where);
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
