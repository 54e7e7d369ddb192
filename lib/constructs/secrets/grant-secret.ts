import { Grant, IGrantable } from 'aws-cdk-lib/aws-iam';
import { IKey } from 'aws-cdk-lib/aws-kms';
import { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { arnParts } from '../common/arn-parts';

export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];
export const SECRET_ROTATE_ACTIONS = [...SECRET_READ_ACTIONS, 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'];

/**
 * Grants secret actions and the matching use of its CMK through Secrets Manager only, all in the grantee's own
 * policy. ISecret.grantRead() would also add the grantee to the key policy, which makes a key → role → policy →
 * secret → key cycle when they live in one stack; the key policy already delegates to IAM.
 */
export function grantSecret(scope: IConstruct, secret: ISecret, key: IKey, grantee: IGrantable, actions: readonly string[]): Grant {
  const { region } = arnParts(scope);
  const writes = actions.includes('secretsmanager:PutSecretValue');
  Grant.addToPrincipal({
    grantee,
    actions: writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
    resourceArns: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
  });
  return Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [secret.secretArn] });
}
