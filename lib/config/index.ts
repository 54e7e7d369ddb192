export * from './profiles';
export * from './datasets';
