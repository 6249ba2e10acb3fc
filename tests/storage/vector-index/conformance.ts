import type { IndexHit, SearchFilter, VectorIndex } from '../../../storage/vector-index/types';
import {
  BASE_MS,
  HOUR,
  MAIN_SYSTEM,
  RARE_SYSTEM,
  dataset,
  exactTopK,
  keyStr,
  passes,
  rng,
  unitVector,
} from './fixtures';

/**
 * The behaviour every VectorIndex must show, whatever is behind it (embedded usearch, Qdrant).
 * `makeIndex` must return a new, empty index each time; the suite closes it.
 */
export function runVectorIndexConformance(
  name: string,
  makeIndex: () => Promise<VectorIndex>,
): void {
  describe(`VectorIndex conformance: ${name}`, () => {
    const points = dataset(600, 10);
    const byKey = new Map(points.map((p) => [keyStr(p.key), p]));
    let index: VectorIndex;

    beforeEach(async () => {
      index = await makeIndex();
    });
    afterEach(async () => {
      await index.close();
    });

    const fill = async () => {
      for (let i = 0; i < points.length; i += 150) await index.upsert(points.slice(i, i + 150));
    };
    const keysOf = (hits: IndexHit[]) => hits.map((h) => keyStr(h.key));
    const expectSorted = (hits: IndexHit[]) => {
      for (let i = 1; i < hits.length; i++) {
        expect(hits[i - 1]!.similarity).toBeGreaterThanOrEqual(hits[i]!.similarity);
      }
      for (const h of hits) {
        expect(h.similarity).toBeGreaterThanOrEqual(-1);
        expect(h.similarity).toBeLessThanOrEqual(1);
      }
    };
    const recall = (hits: IndexHit[], exact: { key: string }[]) => {
      const want = new Set(exact.map((e) => e.key));
      return keysOf(hits).filter((k) => want.has(k)).length / Math.max(1, want.size);
    };

    it('is empty at first: count 0, search finds nothing', async () => {
      expect(await index.count()).toBe(0);
      expect(await index.search(points[0]!.vector, { limit: 5 })).toEqual([]);
    });

    it('finds an identical vector first with similarity ≈ 1, then the nearest ones', async () => {
      await fill();
      expect(await index.count()).toBe(points.length);
      for (const i of [0, 17, 301, 599]) {
        const p = points[i]!;
        const hits = await index.search(p.vector, { limit: 10 });
        expect(hits).toHaveLength(10);
        expect(hits[0]!.key).toEqual(p.key);
        expect(hits[0]!.similarity).toBeCloseTo(1, 4);
        expectSorted(hits);
        const exact = exactTopK(points, p.vector, 10);
        expect(recall(hits, exact)).toBeGreaterThanOrEqual(0.9);
      }
    });

    it('reports cosine similarity (not distance) for every hit', async () => {
      await fill();
      const query = unitVector(rng(7));
      const hits = await index.search(query, { limit: 10 });
      const exact = new Map(exactTopK(points, query, 600).map((e) => [e.key, e.similarity]));
      for (const h of hits) expect(h.similarity).toBeCloseTo(exact.get(keyStr(h.key))!, 3);
    });

    it('returns at most `limit` hits, and every point when limit exceeds the count', async () => {
      await index.upsert(points.slice(0, 30));
      expect(await index.search(points[3]!.vector, { limit: 1 })).toHaveLength(1);
      expect(await index.search(points[3]!.vector, { limit: 7 })).toHaveLength(7);
      const all = await index.search(points[3]!.vector, { limit: 100 });
      expect(new Set(keysOf(all))).toEqual(new Set(points.slice(0, 30).map((p) => keyStr(p.key))));
      expectSorted(all);
    });

    it('upserts idempotently: the same key twice is one point, the last vector wins', async () => {
      const p = points[5]!;
      await index.upsert([p]);
      await index.upsert([p]);
      expect(await index.count()).toBe(1);
      await index.upsert([p, p]);
      expect(await index.count()).toBe(1);
      const moved = { ...p, vector: points[6]!.vector };
      await index.upsert(points.slice(10, 20));
      await index.upsert([moved]);
      expect(await index.count()).toBe(11);
      const hits = await index.search(points[6]!.vector, { limit: 1 });
      expect(hits[0]!.key).toEqual(p.key);
      expect(hits[0]!.similarity).toBeCloseTo(1, 4);
      const old = await index.search(p.vector, { limit: 11 });
      expect(old.find((h) => keyStr(h.key) === keyStr(p.key))!.similarity).toBeLessThan(0.9);
    });

    it('removes points; unknown keys are ignored; a removed key can come back', async () => {
      await fill();
      const gone = [points[20]!, points[21]!];
      await index.remove([...gone.map((p) => p.key), { system_id: 'nobody', id: 'nothing' }]);
      expect(await index.count()).toBe(points.length - 2);
      for (const p of gone) {
        const hits = await index.search(p.vector, { limit: 10 });
        expect(keysOf(hits)).not.toContain(keyStr(p.key));
      }
      await index.remove([gone[0]!.key]);
      expect(await index.count()).toBe(points.length - 2);
      await index.upsert([gone[0]!]);
      expect(await index.count()).toBe(points.length - 1);
      expect((await index.search(gone[0]!.vector, { limit: 1 }))[0]!.key).toEqual(gone[0]!.key);
    });

    const iso = (hours: number) => new Date(BASE_MS + hours * HOUR).toISOString();
    const filters: [string, SearchFilter][] = [
      ['system_id', { system_id: MAIN_SYSTEM }],
      ['project', { project: 'beta' }],
      ['kind', { kind: 'reflection' }],
      ['time range', { since: iso(200), until: iso(260) }],
      ['combined', { system_id: MAIN_SYSTEM, project: 'gamma', kind: 'conversation' }],
    ];
    it.each(filters)('filters by %s: every hit passes, the best one comes first', async (_, f) => {
      await fill();
      // query with a point the filter excludes where possible, so the overall nearest is not allowed
      const excluded = points.find((p) => !passes(p.payload, f)) ?? points[0]!;
      for (const query of [excluded.vector, unitVector(rng(11))]) {
        const hits = await index.search(query, { limit: 10, filter: f });
        const exact = exactTopK(points, query, 10, f);
        expect(hits).toHaveLength(exact.length);
        for (const h of hits) expect(passes(byKey.get(keyStr(h.key))!.payload, f)).toBe(true);
        expect(keyStr(hits[0]!.key)).toBe(exact[0]!.key);
        expect(recall(hits, exact)).toBeGreaterThanOrEqual(0.9);
        expectSorted(hits);
      }
    });

    it('time range is half-open: since inclusive, until exclusive', async () => {
      await fill();
      const hits = await index.search(points[0]!.vector, {
        limit: 50,
        filter: { since: iso(100), until: iso(110) },
      });
      const want = points.slice(100, 110).map((p) => keyStr(p.key));
      expect(new Set(keysOf(hits))).toEqual(new Set(want));
    });

    it('finds every point of a filter that matches few among many (over-fetch)', async () => {
      await fill();
      const f = { system_id: RARE_SYSTEM };
      const query = points[300]!.vector; // a MAIN_SYSTEM point: the rare ones are far from it
      const all = await index.search(query, { limit: 20, filter: f });
      expect(new Set(keysOf(all))).toEqual(
        new Set(
          points.filter((p) => p.payload.system_id === RARE_SYSTEM).map((p) => keyStr(p.key)),
        ),
      );
      expectSorted(all);
      // the graph is approximate: a far-away top 3 may lose one point to a near neighbour
      const top3 = await index.search(query, { limit: 3, filter: f });
      expect(top3).toHaveLength(3);
      expectSorted(top3);
      expect(recall(top3, exactTopK(points, query, 3, f))).toBeGreaterThanOrEqual(2 / 3);
      const narrow = { system_id: RARE_SYSTEM, kind: 'reflection', project: 'beta' };
      const few = await index.search(query, { limit: 10, filter: narrow });
      expect(new Set(keysOf(few))).toEqual(
        new Set(exactTopK(points, query, 10, narrow).map((e) => e.key)),
      );
    });

    it('returns nothing when nothing passes the filter', async () => {
      await fill();
      expect(
        await index.search(points[1]!.vector, { limit: 5, filter: { system_id: 'nobody' } }),
      ).toEqual([]);
      const empty = { since: iso(10_000) };
      expect(await index.search(points[1]!.vector, { limit: 5, filter: empty })).toEqual([]);
    });
  });
}
