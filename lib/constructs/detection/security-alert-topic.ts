/** The security alert topic: KMS-encrypted SNS, TLS-only, publishable by EventBridge rules and alarms of this account. */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { IRule, IRuleTarget, RuleTargetConfig } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { encryptedDeadLetterQueue } from '../common/dead-letter-queue';
import { describeValue, ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { dataRemovalPolicy } from '../common/removal';
import { tagClassification } from '../common/tags';
import { DataKeys } from '../keys/data-keys';

export interface SecurityAlertTopicProps {
  /** `keys.audit` encrypts the topic and its dead-letter queue. */
  readonly keys: DataKeys;
  /** Addresses subscribed to the topic by email (each must confirm the subscription). @default none */
  readonly alarmEmails?: readonly string[];
}

/** A plausible email address (SNS confirms ownership; this only catches typos and placeholders). */
export function isEmailAddress(value: unknown): boolean {
  return typeof value === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

/**
 * Where security alerts go: one SNS topic under the audit key that refuses requests without TLS, accepts
 * publishes from EventBridge rules and CloudWatch alarms of this account only, and keeps what it could not
 * deliver (to a subscription or from a rule) in an encrypted dead-letter queue that itself raises an alarm.
 */
export class SecurityAlertTopic extends Construct {
  public readonly topic: Topic;
  /** Alerts EventBridge or SNS could not deliver; kept 14 days. */
  public readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: SecurityAlertTopicProps) {
    super(scope, id);
    const problems = new ProblemCollector(`SecurityAlertTopic ${this.node.path}`);
    (props.alarmEmails ?? []).forEach((email, i) => {
      if (!isEmailAddress(email)) problems.add(`alarmEmails[${i}]`, `${describeValue(email)} is not an email address`, 'give an address like security@example.com');
    });
    problems.throwIfAny();

    const { partition, region, account } = arnParts(this);
    const key = props.keys.audit;

    this.topic = new Topic(this, 'Topic', {
      displayName: 'Security alerts',
      masterKey: key,
      enforceSSL: true,
    });
    tagClassification(this.topic, Classification.RESTRICTED);
    // Subscriptions made outside the template (a SIEM, a pager) hang on this ARN: deleting it would cut them silently.
    this.topic.applyRemovalPolicy(dataRemovalPolicy(this, undefined, 'removalPolicy'));
    // Alarms in this account publish through the cloudwatch service principal; the audit key admits them already.
    this.topic.addToResourcePolicy(new PolicyStatement({
      sid: 'CloudWatchAlarmsOfThisAccountPublish',
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [this.topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
      },
    }));

    this.deadLetterQueue = encryptedDeadLetterQueue(this, 'UndeliveredAlerts', {
      key,
      classification: Classification.RESTRICTED,
      receives: 'security alerts the rule targets and subscriptions could not deliver; the UndeliveredAlerts alarm fires',
      recognisedAsDeadLetterQueue: false,
    });

    // SNS writes to the CMK-encrypted dead-letter queue for failed email deliveries: it needs the audit key.
    // The ARN pattern comes from pseudo parameters, not from the topic, so key and topic do not depend on each other.
    key.addToResourcePolicy(new PolicyStatement({
      sid: 'SnsWritesDeadLettersOfThisAccount',
      principals: [new ServicePrincipal('sns.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:sns:${region}:${account}:*` },
      },
    }));

    for (const email of props.alarmEmails ?? []) {
      this.topic.addSubscription(new EmailSubscription(email, { deadLetterQueue: this.deadLetterQueue }));
    }

    new Alarm(this, 'UndeliveredAlertsAlarm', {
      alarmDescription: 'Security alerts could not be delivered; read them from the UndeliveredAlerts queue and fix the subscription or rule target',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.topic));
  }

  /** The SNS topic as an ITopic, for alarms built elsewhere. */
  public get alarmTopic(): ITopic {
    return this.topic;
  }

  /**
   * An EventBridge target that publishes to this topic and dead-letters what it cannot deliver. The topic
   * accepts the rule only (aws:SourceArn), instead of every rule, as the stock SnsTopic target would.
   */
  public ruleTarget(): IRuleTarget {
    return {
      bind: (rule: IRule): RuleTargetConfig => {
        const name = rule.node.id.replace(/[^A-Za-z0-9]/g, '');
        this.topic.addToResourcePolicy(new PolicyStatement({
          sid: `Rule${name}Publishes`,
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }));
        this.deadLetterQueue.addToResourcePolicy(new PolicyStatement({
          sid: `Rule${name}DeadLetters`,
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.deadLetterQueue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }));
        return {
          arn: this.topic.topicArn,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
          retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
        };
      },
    };
  }
}
