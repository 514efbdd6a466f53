export * from './median-pruner';
export * from './samplers';
export * from './search-runner';
export * from './search-space';
export * from './trial';
export * from './trial-executor';
export * from './worker-pool';
export * from './worker-protocol';
