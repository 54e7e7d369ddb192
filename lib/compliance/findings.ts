/** Reads the findings CDK's policy validation wrote into a cloud assembly. */
import * as fs from 'fs';
import * as path from 'path';
import { VALIDATION_REPORT_FILE } from 'aws-cdk-lib/cx-api';

export interface Finding {
  /** The plugin (pack) that reported it, e.g. `HIPAA.Security`. */
  readonly pack: string;
  /** The rule id as reported, e.g. `HIPAA.Security-S3BucketReplicationEnabled`. */
  readonly ruleId: string;
  readonly severity: string;
  /** Construct path of the resource. */
  readonly path: string;
  readonly description: string;
}

interface ReportJson {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{
      ruleName: string;
      description: string;
      severity: string;
      violatingConstructs: Array<{ constructPath?: string }>;
    }>;
  }>;
}

/** Unacknowledged findings of every pack, one per rule and resource; [] when nothing was reported. */
export function readFindings(assemblyDir: string): Finding[] {
  const file = path.join(assemblyDir, VALIDATION_REPORT_FILE);
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as ReportJson;
  return report.pluginReports.flatMap((r) =>
    r.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => ({
        pack: r.pluginName,
        ruleId: v.ruleName,
        severity: v.severity,
        path: c.constructPath ?? '(unknown)',
        description: v.description,
      })),
    ),
  );
}
