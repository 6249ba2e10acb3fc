/**
 * The points of the recording server's collections, enough to answer Akosha's requests the
 * way Qdrant would: exact cosine ranking, filters with match/range/has_id and nested filters,
 * scrolling in id order, payload selection.
 */

type Json = Record<string, unknown>;

export interface StoredPoint {
  id: string | number;
  vector: number[];
  payload: Json;
  version: number;
}

export interface Collection {
  /** the body it was created with */
  config: Json;
  size: number;
  points: Map<string, StoredPoint>;
  indexes: Map<string, unknown>;
}

export function newCollection(config: Json): Collection {
  const size = Number((config.vectors as Json).size);
  return { config, size, points: new Map(), indexes: new Map() };
}

const asList = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];

function matchesCondition(p: StoredPoint, c: Json): boolean {
  if ('has_id' in c) return (c.has_id as unknown[]).map(String).includes(String(p.id));
  if ('must' in c || 'should' in c || 'must_not' in c) return matchesFilter(p, c);
  const value = p.payload[c.key as string];
  if (c.match !== undefined) {
    const m = c.match as Json;
    if ('value' in m) return asList(value).some((v) => v === m.value);
    if ('any' in m) return asList(value).some((v) => (m.any as unknown[]).includes(v));
    return false;
  }
  const r = c.range as Json;
  if (typeof value !== 'number') return false;
  return (
    (r.gte === undefined || r.gte === null || value >= (r.gte as number)) &&
    (r.gt === undefined || r.gt === null || value > (r.gt as number)) &&
    (r.lte === undefined || r.lte === null || value <= (r.lte as number)) &&
    (r.lt === undefined || r.lt === null || value < (r.lt as number))
  );
}

export function matchesFilter(p: StoredPoint, f: Json | undefined | null): boolean {
  if (!f) return true;
  const must = asList(f.must) as Json[];
  const should = asList(f.should) as Json[];
  const mustNot = asList(f.must_not) as Json[];
  return (
    must.every((c) => matchesCondition(p, c)) &&
    (should.length === 0 || should.some((c) => matchesCondition(p, c))) &&
    !mustNot.some((c) => matchesCondition(p, c))
  );
}

/** with_payload: true (all), false/absent (none), or a list of fields. */
export function selectPayload(p: StoredPoint, withPayload: unknown): Json | null {
  if (withPayload === true) return p.payload;
  if (!Array.isArray(withPayload)) return null;
  return Object.fromEntries(
    (withPayload as string[]).filter((k) => k in p.payload).map((k) => [k, p.payload[k]]),
  );
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / (Math.sqrt(na) * Math.sqrt(nb) || 1);
}

/** POST …/points/query with a vector: exact cosine, best first. */
export function query(c: Collection, body: Json) {
  const q = body.query as number[];
  const threshold = body.score_threshold as number | undefined;
  const scored = [...c.points.values()]
    .filter((p) => matchesFilter(p, body.filter as Json))
    .map((p) => ({ p, score: cosine(q, p.vector) }))
    .filter((s) => threshold === undefined || s.score >= threshold)
    .sort((a, b) => b.score - a.score)
    .slice(0, (body.limit as number | undefined) ?? 10);
  return {
    points: scored.map(({ p, score }) => ({
      id: p.id,
      version: p.version,
      score,
      payload: selectPayload(p, body.with_payload ?? false),
    })),
  };
}

/** POST …/points/scroll: points in id order from `offset`, and where the next page starts. */
export function scroll(c: Collection, body: Json) {
  const limit = (body.limit as number | undefined) ?? 10;
  const offset = body.offset === undefined || body.offset === null ? '' : String(body.offset);
  const passing = [...c.points.values()]
    .filter((p) => String(p.id) >= offset && matchesFilter(p, body.filter as Json))
    .sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));
  const page = passing.slice(0, limit);
  return {
    points: page.map((p) => ({ id: p.id, payload: selectPayload(p, body.with_payload ?? true) })),
    next_page_offset: passing[limit]?.id ?? null,
  };
}

export const count = (c: Collection, body: Json) => ({
  count: [...c.points.values()].filter((p) => matchesFilter(p, body.filter as Json)).length,
});

export function retrieve(c: Collection, body: Json) {
  return (body.ids as unknown[]).flatMap((id) => {
    const p = c.points.get(String(id));
    return p ? [{ id: p.id, payload: selectPayload(p, body.with_payload ?? true) }] : [];
  });
}
