import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../embedding/hashing-embedder';
import { encodeVector } from '../../embedding/vector';
import type { EmbeddedRecord } from '../../schemas/embedded';
import { shardOf } from '../../schemas/ids';
import { HotStore, type HotHit, type HotStoreOptions } from '../../storage/hot-store';
import { rng } from '../helpers/random';
import { chunkInput } from './chunk-inputs';
import { seedHot, SEED_DAYS, SEED_START, vector } from './tiers/fixtures';

const WRITTEN = ['rows-host-a', 'rows-host-b'];
const SEEDED = ['rows-host-c', 'rows-host-d'];
const rand = rng(7);

/** A record of the write path: offsets in its timestamp, passages on every third one. */
function record(system: string, i: number): EmbeddedRecord {
  const content = `Record ${i} of ${system}: ${'a long memory text '.repeat(1 + (i % 4))}`;
  const passages = i % 3 === 0 ? [0, 1].map((p) => ({ start: p * 10, end: p * 10 + 30 })) : [];
  return {
    id: `w-${i}`,
    kind: i % 2 ? 'reflection' : 'conversation',
    content,
    content_sha256: createHash('sha256').update(content).digest('hex'),
    timestamp: `2026-11-0${1 + (i % 5)}T10:00:0${i % 10}.25+02:00`,
    project: i % 4 ? `p${i % 3}` : null,
    tags: i % 2 ? ['x', `t${i}`] : [],
    metadata: { n: i, nested: { system } },
    vector: encodeVector(Float32Array.from(vector(rand))),
    vector_source: 'embedder',
    ...(passages.length && {
      passages: passages.map((p) => ({
        ...p,
        vector: encodeVector(Float32Array.from(vector(rand))),
      })),
    }),
  };
}

describe("search hits' fields kept with the vector index", () => {
  let dir: string;
  const queries = Array.from({ length: 12 }, () => Float32Array.from(vector(rand)));
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-hit-fields-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const open = (searchRows: HotStoreOptions['searchRows']) =>
    HotStore.open(dir, { concurrency: 2, model: HASHING_MODEL, searchRows });

  /** Every query's top hits, turned into results shard by shard, in a stable order. */
  async function results(store: HotStore, systemId?: string): Promise<HotHit[]> {
    const out: HotHit[] = [];
    for (const q of queries) {
      const hits = await store.searchIndex(q, { limit: 8, systemId });
      const shards = [...new Set(hits.map((h) => shardOf(h.system_id)))];
      for (const shard of shards) {
        const ofShard = hits.filter((h) => shardOf(h.system_id) === shard);
        out.push(...(await store.hitRows(shard, ofShard)));
      }
    }
    // (the DuckDB path passes the similarity through a SQL literal: equal to ~1e-15)
    for (const hit of out) hit.similarity = Number(hit.similarity.toFixed(9));
    return out.sort((a, b) => `${a.system_id}/${a.id}`.localeCompare(`${b.system_id}/${b.id}`));
  }

  it('gives the results DuckDB gives: after writes, after bulk changes, and once reopened', async () => {
    let store = await open('memory');
    for (const system of WRITTEN) {
      const records = Array.from({ length: 30 }, (_, i) => record(system, i));
      await store.writeShard(shardOf(system), [chunkInput(system, `upload-${system}`, records)]);
    }
    await seedHot(store, { systems: SEEDED, perSystem: 40, start: SEED_START, days: SEED_DAYS });
    // a bulk change behind the write path (what a tier move does)
    const gone = SEEDED[0]!;
    await store.withShard(shardOf(gone), (conn, db) =>
      conn.run(`DELETE FROM ${db}.memories WHERE system_id = '${gone}' AND id < 'rec-2'`),
    );
    const inMemory = await results(store);
    const passages = inMemory.filter((h) => h.passage);
    await store.close();

    store = await open('duckdb');
    const fromDuckDb = await results(store);
    await store.close();
    store = await open('memory');
    const loaded = await results(store);
    const ofOneSystem = await results(store, WRITTEN[0]);
    await store.close();

    expect(inMemory.length).toBeGreaterThan(50);
    expect(passages.length).toBeGreaterThan(0);
    expect(inMemory).toEqual(fromDuckDb);
    expect(loaded).toEqual(fromDuckDb);
    expect(inMemory.filter((h) => h.system_id === gone && h.id < 'rec-2')).toEqual([]);
    expect(ofOneSystem.length).toBeGreaterThan(0);
    expect(ofOneSystem.every((h) => h.system_id === WRITTEN[0])).toBe(true);
    for (const hit of inMemory.filter((h) => WRITTEN.includes(h.system_id))) {
      const written = record(hit.system_id, Number(hit.id.slice(2)));
      expect(hit.timestamp).toBe(new Date(written.timestamp).toISOString());
      expect(hit).toMatchObject({ content: written.content, metadata: written.metadata });
      if (hit.passage) {
        const span = written.passages![hit.passage.index]!;
        expect(hit.passage).toMatchObject({ start: span.start, end: span.end });
      }
    }
  });
});
