/**
 * Errors of the ingest stage. Their messages reach the function's logs and the Lambda error report, so they are
 * built from non-secret parts only (dataset and field names, HTTP statuses, error codes, URL origin and path) —
 * never from tokens, response bodies, cursors or record values.
 */

/** The source API could not be read (after the retries allowed), or answered with something unusable. */
export class SourceError extends Error {
  constructor(
    message: string,
    /** `HTTP_<status>`, EMALFORMEDJSON, EBADPAGE, or the transport code (ETIMEDOUT, ERESPONSETOOLARGE, …). */
    public readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SourceError';
  }
}

/** The API credential secret holds no usable bearer token. */
export class CredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

/** Kafka did not acknowledge a page's records; the watermark stays where it was. */
export class ProduceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProduceError';
  }
}

/** Another run moved the dataset's watermark since this run read it. */
export class WatermarkConflictError extends Error {
  constructor(dataset: string) {
    super(`The watermark of dataset "${dataset}" was moved by another run; this run stops so it never moves it backwards`);
    this.name = 'WatermarkConflictError';
  }
}

/**
 * The invocation event tried to change what the function does (another config, another dataset, extra fields). It
 * is never used; the handler logs it as a security event and fails the invocation.
 */
export class EventRefusedError extends Error {
  constructor(
    reason: string,
    /** Where a carried config differs from the owned one: paths only, never values. */
    public readonly differences: readonly string[],
  ) {
    super(`Refused an invocation event: ${reason}. The function runs only the dataset config it was deployed with; invoke it with {"dataset": "<name>"} or no event`);
    this.name = 'EventRefusedError';
  }
}
