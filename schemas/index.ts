export * from './ids';
export * from './record';
export * from './upload';
export * from './embedded';
export * from './ingested';
export * from './dead-letter';
export * from './graph';
export { PUBLISHED_SCHEMAS, renderJsonSchema } from './json-schema';
