/** Public API of secure-data-pipeline: everything a team stack may import. */
export * from './errors';
export * from './classification';
export * from './config';
export * from './compliance';
export * from './constructs/common/arn-parts';
export * from './constructs/common/removal';
export * from './constructs/common/log-group';
export * from './constructs/common/managed-policy-role';
export * from './constructs/common/tags';
export * from './constructs/compute/pipeline-function';
export * from './constructs/database/secure-database';
export * from './constructs/keys/data-keys';
export * from './constructs/network/secure-network';
export * from './constructs/storage/access-log-bucket';
export * from './constructs/storage/secure-bucket';
export * from './stacks/secure-pipeline-stack';
