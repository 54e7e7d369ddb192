/** Recording stand-ins for a stage's logger and metrics (the StageMetrics / logger interfaces of lambda/). */
import type { StageMetrics } from '../../lambda/shared/powertools';

export interface LoggedLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

export class RecordingLogger {
  readonly lines: LoggedLine[] = [];
  readonly contexts: unknown[] = [];

  addContext(context: unknown): void {
    this.contexts.push(context);
  }

  info(message: string, attributes: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'info', message, attributes });
  }

  warn(message: string, attributes: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'warn', message, attributes });
  }

  error(message: string, attributes: Record<string, unknown> = {}): void {
    this.lines.push({ level: 'error', message, attributes });
  }

  /** Everything logged, as one JSON text (to assert that no value leaked). */
  text(): string {
    return JSON.stringify(this.lines);
  }
}

export class RecordingMetrics implements StageMetrics {
  readonly dimensions: Record<string, string> = {};
  private readonly stored = new Map<string, number>();
  readonly published = new Map<string, number>();
  publishes = 0;

  addMetric(name: string, _unit: string, value: number): void {
    this.stored.set(name, (this.stored.get(name) ?? 0) + value);
  }

  addDimension(name: string, value: string): void {
    this.dimensions[name] = value;
  }

  publishStoredMetrics(): void {
    for (const [name, value] of this.stored) this.published.set(name, (this.published.get(name) ?? 0) + value);
    this.stored.clear();
    this.publishes += 1;
  }

  value(name: string): number {
    return this.published.get(name) ?? 0;
  }
}
