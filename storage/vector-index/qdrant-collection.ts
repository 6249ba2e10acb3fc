import type { QdrantClient, Schemas } from './qdrant-module';

/**
 * How Akosha's Qdrant collections are laid out (the README's Qdrant section says why):
 * cosine vectors, originals on disk and int8 copies always in RAM, searched with rescoring
 * and oversampling; payloads on disk, with indexes on every field a filter uses.
 */
export interface CollectionSettings {
  /** HNSW links per node (the embedded index's connectivity is the same) */
  m: number;
  /** candidates considered while building the graph */
  efConstruct: number;
  /** original float vectors memory-mapped from disk (only rescoring reads them) */
  vectorsOnDisk: boolean;
  /** int8 scalar quantisation, the quantised copies pinned in RAM */
  quantization: boolean;
}

export const DEFAULT_COLLECTION_SETTINGS: CollectionSettings = {
  m: 16,
  efConstruct: 128,
  vectorsOnDisk: true,
  quantization: true,
};

/** Payload fields with a Qdrant payload index (what filters use). */
export const PAYLOAD_INDEXES: [string, Schemas['PayloadSchemaType']][] = [
  ['system_id', 'keyword'],
  ['project', 'keyword'],
  ['kind', 'keyword'],
  ['timestamp_ms', 'integer'],
  ['shard', 'integer'],
];

/** The body of `PUT /collections/{name}`. */
export function createCollectionBody(dimensions: number, s: CollectionSettings) {
  return {
    vectors: { size: dimensions, distance: 'Cosine' as const, on_disk: s.vectorsOnDisk },
    on_disk_payload: true,
    hnsw_config: { m: s.m, ef_construct: s.efConstruct },
    ...(s.quantization && {
      quantization_config: { scalar: { type: 'int8' as const, quantile: 0.99, always_ram: true } },
    }),
  };
}

/** Search-time parameters: the graph's beam, and int8 candidates rescored on the originals. */
export function searchParams(hnswEf: number, s: CollectionSettings): Schemas['SearchParams'] {
  return {
    hnsw_ef: hnswEf,
    ...(s.quantization && { quantization: { rescore: true, oversampling: 2 } }),
  };
}

/**
 * Creates the collection and its payload indexes when missing (another process creating it
 * at the same time is fine); an existing collection must hold vectors of the same size and
 * distance. Its other settings are left as they are.
 */
export async function ensureCollection(
  call: <T>(fn: () => Promise<T>) => Promise<T>,
  client: QdrantClient,
  name: string,
  dimensions: number,
  settings: CollectionSettings,
): Promise<void> {
  const { exists } = await call(() => client.collectionExists(name));
  if (exists) await checkVectors(call, client, name, dimensions);
  else {
    try {
      await call(() => client.createCollection(name, createCollectionBody(dimensions, settings)));
    } catch (err) {
      // created meanwhile by another process (409, or 400 "already exists" on older servers)
      if (!(await call(() => client.collectionExists(name))).exists) throw err;
      await checkVectors(call, client, name, dimensions);
    }
  }
  for (const [field_name, field_schema] of PAYLOAD_INDEXES) {
    await call(() => client.createPayloadIndex(name, { field_name, field_schema, wait: true }));
  }
}

async function checkVectors(
  call: <T>(fn: () => Promise<T>) => Promise<T>,
  client: QdrantClient,
  name: string,
  dimensions: number,
): Promise<void> {
  const info = await call(() => client.getCollection(name));
  const vectors = info.config.params.vectors as { size?: number; distance?: string } | undefined;
  if (vectors?.size !== dimensions || vectors.distance !== 'Cosine') {
    throw new Error(
      `Qdrant collection ${name} has vectors ${JSON.stringify(vectors)}, expected ${dimensions}-d Cosine`,
    );
  }
}
