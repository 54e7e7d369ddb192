/**
 * The dataset's source API, served from the input file on 127.0.0.1 over HTTPS (a certificate generated for this
 * run), implementing the protocol the ingest stage reads (lambda/ingest/source.ts): a bearer token is required
 * (401 otherwise), records under the dataset's `recordsPath`, pages of `pageSize` records with an opaque
 * `nextCursor`. Every non-empty input line is one record: a line that is not JSON is served as a JSON string, so
 * the ingest stage sees it, refuses it (not an object) and quarantines it — it is counted like any other record.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface SourceApiProps {
  readonly records: readonly unknown[];
  /** Where the records go in the body; undefined serves one JSON array (no pages, as the protocol says). */
  readonly recordsPath?: string;
  readonly pageSize: number;
  /** The path the dataset's source URL has (kept so the local URL looks like the real one). */
  readonly path: string;
  /** The bearer token every request must carry; undefined serves an open source. */
  readonly token: string | undefined;
  readonly cert: { readonly cert: string; readonly key: string };
}

export interface SourceApi {
  readonly url: string;
  /** Records served at least once (by index). */
  served(): number;
  /** Requests refused for a missing or wrong bearer token. */
  unauthorized(): number;
  close(): Promise<void>;
}

/** Lines of an input file as source records (see the file comment); empty lines are skipped. */
export function recordsFromLines(text: string): unknown[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '').map((line) => {
    try {
      return JSON.parse(line) as unknown;
    } catch {
      return line;
    }
  });
}

const encodeCursor = (index: number): string => Buffer.from(JSON.stringify({ i: index })).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  try {
    const i = (JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { i?: unknown }).i;
    return typeof i === 'number' && Number.isSafeInteger(i) && i >= 0 ? i : undefined;
  } catch {
    return undefined;
  }
}

export async function startSourceApi(props: SourceApiProps): Promise<SourceApi> {
  const served = new Set<number>();
  let unauthorized = 0;
  const server = https.createServer({ cert: props.cert.cert, key: props.cert.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== props.path) return send(404, { error: 'not found' });
    if (props.token !== undefined && req.headers.authorization !== `Bearer ${props.token}`) {
      unauthorized += 1;
      return send(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    if (props.recordsPath === undefined) {
      props.records.forEach((_, i) => served.add(i));
      return send(200, props.records);
    }
    const cursor = url.searchParams.get('cursor');
    const start = cursor === null ? 0 : decodeCursor(cursor);
    if (start === undefined) return send(400, { error: 'bad cursor' });
    const end = Math.min(start + props.pageSize, props.records.length);
    for (let i = start; i < end; i++) served.add(i);
    send(200, { [props.recordsPath]: props.records.slice(start, end), nextCursor: end < props.records.length ? encodeCursor(end) : null });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}${props.path}`,
    served: () => served.size,
    unauthorized: () => unauthorized,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
