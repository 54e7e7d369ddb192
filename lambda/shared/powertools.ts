/**
 * Powertools for AWS Lambda set up the same way in every stage: structured JSON logs, EMF metrics, X-Ray tracing.
 * Service name and metrics namespace come from POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE when set.
 *
 * Stages that receive records never log events (no `logEvent`, no injectLambdaContext with it): records are
 * logged only through logRecord/redactForLog from ./field-handling.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

export { MetricUnit };

/** The part of Powertools Metrics the stages use, so tests can pass a real Metrics or a recorder. */
export interface StageMetrics {
  addMetric(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void;
  addDimension(name: string, value: string): void;
  publishStoredMetrics(): void;
}

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

export interface PowertoolsOptions {
  /** Used when POWERTOOLS_SERVICE_NAME is not set. */
  readonly defaultServiceName: string;
  /** Used when POWERTOOLS_METRICS_NAMESPACE is not set. @default 'SecureDataPipeline' */
  readonly defaultNamespace?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function createPowertools(options: PowertoolsOptions): Powertools {
  const env = options.env ?? process.env;
  const serviceName = nonEmpty(env.POWERTOOLS_SERVICE_NAME) ?? options.defaultServiceName;
  const namespace = nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE) ?? options.defaultNamespace ?? 'SecureDataPipeline';
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ serviceName, namespace }),
    tracer: new Tracer({ serviceName }),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}
