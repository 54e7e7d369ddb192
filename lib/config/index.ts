export * from './profiles';
export * from './datasets';
export * from './credentials';
export * from './schedule';
export * from './instance-types';
export * from './pipeline-config';
export * from './zones';
