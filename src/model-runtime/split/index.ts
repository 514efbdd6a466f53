export * from './numpy-random-state';
export * from './sklearn-split';
export * from './split.types';
export * from './stable-hash-split';
