/** Alarms that fire on the first occurrence of something that must never go unnoticed. */
import { Alarm, ComparisonOperator, IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

/**
 * An alarm on the first count of `metric` (a Sum over its period): no data means nothing happened. The caller
 * sends it to the security topic.
 */
export function alarmOnFirstCount(scope: Construct, id: string, props: { readonly description: string; readonly metric: IMetric }): Alarm {
  return new Alarm(scope, id, {
    alarmDescription: props.description,
    metric: props.metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  });
}
