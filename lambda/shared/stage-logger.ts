/**
 * What the stages' pure modules need from a logger: Powertools Logger satisfies it in Lambda, tests pass a
 * recorder. Attributes never carry record values (see ./field-handling/log-redaction.ts).
 */
export interface StageLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
