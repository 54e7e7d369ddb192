/**
 * Error raised by the rotation function. Its message is written to the function's logs and to the
 * Secrets Manager rotation failure reason, so it is built only from non-secret parts (field names, HTTP
 * status codes, URL origins and paths, TLS error codes) — never from secret values, tokens or response bodies.
 */
export class RotationError extends Error {
  /** Machine-readable code of the underlying failure (e.g. a Node/TLS error code), when there is one. */
  readonly code?: string;

  constructor(message: string, code?: string) {
    super(message);
    this.name = 'RotationError';
    this.code = code;
  }
}
