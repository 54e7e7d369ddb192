export * from './acknowledge';
export * from './enforce';
export * from './findings';
export * from './data-pipeline-checks';
export { ClassificationTag, DATA_RESOURCE_TYPES } from './rules/classification-tag';
export { LogGroupEncryptedWithRetention } from './rules/log-group-encrypted-with-retention';
export { NoSecretInLambdaEnvironment, secretLikeVariables } from './rules/no-secret-in-lambda-environment';
