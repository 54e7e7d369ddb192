/** The source API's OAuth2 client credential in Secrets Manager, with a rotation function that keeps its token fresh. */
import { Duration } from 'aws-cdk-lib';
import { IGrantable } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { CfnRotationSchedule, ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Classification } from '../../classification';
import { httpsUrlProblems, looksLikeSecretValue, Profile, validateProfile } from '../../config';
import { describeValue, ProblemCollector } from '../../errors';
import { arnParts } from '../common/arn-parts';
import { dataRemovalPolicy } from '../common/removal';
import { checkDuration, checkInstance } from '../common/prop-checks';
import { tagClassification } from '../common/tags';
import { PipelineFunction } from '../compute/pipeline-function';
import { DataKeys } from '../keys/data-keys';
import { SecureNetwork } from '../network/secure-network';
import { grantSecret, SECRET_READ_ACTIONS, SECRET_ROTATE_ACTIONS } from './grant-secret';

export interface ApiCredentialProps {
  readonly keys: DataKeys;
  readonly network: SecureNetwork;
  readonly profile: Profile;
  /** OAuth2 token endpoint (HTTPS, no credentials in it). Stored in the secret; not a secret itself. */
  readonly tokenUrl: string;
  /**
   * An HTTPS URL the rotation calls with the new token to prove it works before promoting it. No credentials in it
   * (user info or parameters such as `api_key`): it is stored in plaintext in the secret template and the
   * rotation function's environment.
   */
  readonly probeUrl: string;
  /** OAuth2 scope to ask for. @default none */
  readonly scope?: string;
  /**
   * How often a fresh token is obtained: whole hours from 4 to 23, or whole days up to 30 (Secrets Manager rotates
   * at most every 4 hours, and its rates are in hours or days). @default 4 hours
   */
  readonly rotateEvery?: Duration;
  /**
   * Never pass credentials here: they would end up in the template. These props exist only to refuse them with a
   * clear message; put the values with `aws secretsmanager put-secret-value` after deploying.
   */
  readonly clientId?: unknown;
  readonly clientSecret?: unknown;
  readonly accessToken?: unknown;
  readonly secretValue?: unknown;
}

/** Placeholder for the client id until the operator stores the real one; rotation fails visibly until then. */
export const UNSET_CLIENT_ID = 'SET-ME-WITH-put-secret-value';

/**
 * Marks the deployed value as a placeholder (lambda/rotate-api-credential/secret-value.ts isPlaceholderCredential):
 * Secrets Manager runs the rotation's testSecret step when the schedule is created, and the placeholder passes it
 * without calling the source; ingest and createSecret refuse it as a credential.
 */
export const PLACEHOLDER_FIELD = 'placeholder';

export class ApiCredential extends Construct {
  public readonly secret: ISecret;
  public readonly rotationFunction: PipelineFunction;
  /** The CMK that encrypts the secret (the Restricted key). */
  public readonly key: IKey;

  constructor(scope: Construct, id: string, props: ApiCredentialProps) {
    super(scope, id);
    const problems = new ProblemCollector(`ApiCredential ${this.node.path}`);
    problems.checkPropsObject(props);
    for (const prop of ['clientId', 'clientSecret', 'accessToken', 'secretValue'] as const) {
      if (props[prop] !== undefined) {
        problems.add(prop, 'a credential value in props would be stored in plaintext in the template',
          'remove it; after deploying, store it with `aws secretsmanager put-secret-value` (see README)');
      }
    }
    // Both URLs land in plaintext in the secret's template and the rotation function's environment.
    for (const prop of ['tokenUrl', 'probeUrl'] as const) {
      for (const problem of httpsUrlProblems(props[prop])) {
        problems.add(prop, problem, 'use an https:// URL without credentials; the credential lives in this secret only');
      }
    }
    if (props.scope !== undefined && (typeof props.scope !== 'string' || props.scope.length > 1000 || looksLikeSecretValue(props.scope))) {
      problems.add('scope', `${describeValue(props.scope)} is not an OAuth2 scope`, 'pass space-separated scope names (at most 1000 characters), or leave it out');
    }
    checkInstance(problems, 'keys', props.keys, DataKeys, 'pass the DataKeys of the stack');
    checkInstance(problems, 'network', props.network, SecureNetwork, 'pass the SecureNetwork of the stack (with an egress tier)');
    problems.collect(() => validateProfile(props.profile, 'profile'));
    const every = props.rotateEvery ?? Duration.hours(4);
    const everyMs = checkDuration(problems, 'rotateEvery', every, { min: Duration.hours(4), max: Duration.days(30), unit: 'hours' });
    if (everyMs !== undefined && everyMs >= Duration.days(1).toMilliseconds() && everyMs % Duration.days(1).toMilliseconds() !== 0) {
      problems.add('rotateEvery', `${every.toHumanString()} is a day or more but not whole days`,
        'use 4 to 23 hours, or whole days up to 30 (Secrets Manager rates are in hours or days)');
    }
    problems.throwIfAny();

    const key = props.keys.keyFor(Classification.RESTRICTED);
    this.key = key;
    const template: Record<string, string | boolean> = {
      clientId: UNSET_CLIENT_ID, tokenUrl: props.tokenUrl, probeUrl: props.probeUrl, [PLACEHOLDER_FIELD]: true,
    };
    if (props.scope) template.scope = props.scope;
    const secret = new Secret(this, 'Secret', {
      description: `OAuth2 client credential and current bearer token for ${props.tokenUrl}`,
      encryptionKey: key,
      // The generated clientSecret is only a placeholder: no real value is ever in the template.
      generateSecretString: { secretStringTemplate: JSON.stringify(template), generateStringKey: 'clientSecret', excludePunctuation: true },
      // The client secret is issued by the source's owner and stored by hand; only they can issue another.
      removalPolicy: dataRemovalPolicy(this, undefined, 'removalPolicy'),
    });
    tagClassification(secret, Classification.RESTRICTED);
    this.secret = secret;

    this.rotationFunction = new PipelineFunction(this, 'Rotation', {
      builtInHandler: 'rotate-api-credential',
      classification: Classification.RESTRICTED,
      network: props.network,
      keys: props.keys,
      profile: props.profile,
      internetAccess: true,
      concurrencyBound: { by: 'secret-rotation' },
      environment: { PROBE_URL: props.probeUrl },
      description: `Rotates the bearer token of ${this.node.path}`,
    });
    // Exactly what the four rotation steps call, on this secret only (the L2 schedule would also add
    // GetRandomPassword on '*', which this rotation never uses, hence CfnRotationSchedule below).
    grantSecret(this, secret, key, this.rotationFunction, SECRET_ROTATE_ACTIONS);
    const permission = new CfnPermission(this, 'SecretsManagerInvokes', {
      action: 'lambda:InvokeFunction',
      functionName: this.rotationFunction.functionArn,
      principal: 'secretsmanager.amazonaws.com',
      sourceArn: secret.secretArn,
      sourceAccount: arnParts(this).account,
    });
    const schedule = new CfnRotationSchedule(this, 'RotationSchedule', {
      secretId: secret.secretArn,
      rotationLambdaArn: this.rotationFunction.functionArn,
      rotationRules: { scheduleExpression: scheduleExpression(every) },
      // The first rotation needs the real client id and secret, which are stored after the deploy. Secrets Manager
      // still runs testSecret on the deployed value when the schedule is created; the placeholder passes it.
      // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html (RotateImmediately)
      rotateImmediatelyOnUpdate: false,
    });
    schedule.node.addDependency(permission);
  }

  /** Lets a consumer read the current token (and decrypt it with the key, through Secrets Manager only). */
  public grantRead(grantee: IGrantable) {
    return grantSecret(this, this.secret, this.key, grantee, SECRET_READ_ACTIONS);
  }
}

/**
 * A Secrets Manager rate: whole hours below a day, whole days otherwise, singular for 1 ("rate(1 day)"), as the
 * rate syntax requires. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 */
function scheduleExpression(every: Duration): string {
  const hours = every.toHours();
  if (hours < 24) return `rate(${hours} hours)`;
  const days = hours / 24;
  return days === 1 ? 'rate(1 day)' : `rate(${days} days)`;
}
