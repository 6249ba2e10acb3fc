export * from './subjects';
export * from './definitions';
export { applyTopology } from './apply';
