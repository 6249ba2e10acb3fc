/**
 * @qdrant/js-client-rest ships CommonJS code but ESM-only type declarations, which a
 * `module: node16` CommonJS project cannot `import`: take the types with
 * `resolution-mode: import` and the code with `require` (its `require` export condition).
 */
import type { Schemas } from '@qdrant/js-client-rest' with { 'resolution-mode': 'import' };

type QdrantModule = typeof import('@qdrant/js-client-rest', {
  with: { 'resolution-mode': 'import' },
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const qdrant = require('@qdrant/js-client-rest') as QdrantModule;

export const QdrantClient = qdrant.QdrantClient;
export type QdrantClient = InstanceType<QdrantModule['QdrantClient']>;
export const QdrantClientResourceExhaustedError = qdrant.QdrantClientResourceExhaustedError;
export type { Schemas };
