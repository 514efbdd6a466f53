export * from './regression-metrics';
