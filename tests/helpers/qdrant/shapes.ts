/**
 * What Qdrant's REST API (1.18, `docs/redoc/master/openapi.json` of that release) accepts as
 * the body of each request Akosha sends: the fields each schema declares, their types and
 * bounds. A request that would not parse there (a typo in a field name, a string where a
 * number goes, a filter condition Qdrant does not know) is reported as a problem.
 */

type Problems = string[];
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min = 0) => Number.isInteger(v) && (v as number) >= min;
const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isPointId = (v: unknown) => isInt(v) || (typeof v === 'string' && UUID.test(v));

/** `where` must be an object holding only `allowed` keys and every `required` one. */
function fields(where: string, v: unknown, allowed: string[], required: string[] = []): Problems {
  if (!isObj(v)) return [`${where}: expected an object, got ${JSON.stringify(v)}`];
  const unknown = Object.keys(v).filter((k) => !allowed.includes(k));
  const missing = required.filter((k) => v[k] === undefined);
  return [
    ...unknown.map((k) => `${where}: unknown field "${k}"`),
    ...missing.map((k) => `${where}: missing "${k}"`),
  ];
}

const when = (cond: boolean, problem: string): Problems => (cond ? [] : [problem]);
const optional = (v: unknown, check: () => Problems): Problems =>
  v === undefined || v === null ? [] : check();

function vector(where: string, v: unknown, size?: number): Problems {
  if (!Array.isArray(v) || !v.every(isNum)) return [`${where}: expected an array of numbers`];
  return when(
    size === undefined || v.length === size,
    `${where}: ${v.length} dimensions, not ${size}`,
  );
}

function hnsw(where: string, v: unknown): Problems {
  if (!isObj(v)) return [`${where}: expected an object`];
  const keys = [
    'm',
    'ef_construct',
    'full_scan_threshold',
    'max_indexing_threads',
    'on_disk',
    'payload_m',
    'inline_storage',
  ];
  return [
    ...fields(where, v, keys),
    ...optional(v.m, () => when(isInt(v.m), `${where}.m: an integer >= 0`)),
    ...optional(v.ef_construct, () =>
      when(isInt(v.ef_construct, 4), `${where}.ef_construct: an integer >= 4`),
    ),
  ];
}

function quantization(where: string, v: unknown): Problems {
  if (!isObj(v) || v.scalar === undefined) return fields(where, v, ['product', 'binary', 'turbo']);
  const s = v.scalar as Json;
  return [
    ...fields(where, v, ['scalar'], ['scalar']),
    ...fields(`${where}.scalar`, s, ['type', 'quantile', 'always_ram'], ['type']),
    ...when(s.type === 'int8', `${where}.scalar.type: "int8"`),
    ...optional(s.quantile, () =>
      when(
        isNum(s.quantile) && (s.quantile as number) >= 0.5 && (s.quantile as number) <= 1,
        `${where}.scalar.quantile: 0.5..1`,
      ),
    ),
    ...optional(s.always_ram, () =>
      when(typeof s.always_ram === 'boolean', `${where}.scalar.always_ram: a boolean`),
    ),
  ];
}

/** PUT /collections/{name} */
export function createCollection(body: unknown): Problems {
  const b = body as Json;
  const allowed = [
    'vectors',
    'shard_number',
    'sharding_method',
    'replication_factor',
    'write_consistency_factor',
    'on_disk_payload',
    'hnsw_config',
    'wal_config',
    'optimizers_config',
    'quantization_config',
    'sparse_vectors',
    'strict_mode_config',
    'metadata',
  ];
  const v = b?.vectors as Json;
  const vectorKeys = [
    'size',
    'distance',
    'hnsw_config',
    'quantization_config',
    'on_disk',
    'datatype',
    'multivector_config',
  ];
  return [
    ...fields('body', b, allowed),
    ...fields('vectors', v, vectorKeys, ['size', 'distance']),
    ...when(isInt(v?.size, 1), 'vectors.size: an integer >= 1'),
    ...when(
      ['Cosine', 'Euclid', 'Dot', 'Manhattan'].includes(v?.distance as string),
      'vectors.distance: Cosine | Euclid | Dot | Manhattan',
    ),
    ...optional(v?.on_disk, () =>
      when(typeof v.on_disk === 'boolean', 'vectors.on_disk: a boolean'),
    ),
    ...optional(b?.on_disk_payload, () =>
      when(typeof b.on_disk_payload === 'boolean', 'on_disk_payload: a boolean'),
    ),
    ...optional(b?.hnsw_config, () => hnsw('hnsw_config', b.hnsw_config)),
    ...optional(b?.quantization_config, () =>
      quantization('quantization_config', b.quantization_config),
    ),
  ];
}

const SCHEMA_TYPES = ['keyword', 'integer', 'float', 'geo', 'text', 'bool', 'datetime', 'uuid'];

/** PUT /collections/{name}/index */
export function createIndex(body: unknown): Problems {
  const b = body as Json;
  return [
    ...fields('body', b, ['field_name', 'field_schema'], ['field_name']),
    ...when(typeof b?.field_name === 'string', 'field_name: a string'),
    ...optional(b?.field_schema, () =>
      typeof b.field_schema === 'string'
        ? when(
            SCHEMA_TYPES.includes(b.field_schema),
            `field_schema: one of ${SCHEMA_TYPES.join(', ')}`,
          )
        : fields(
            'field_schema',
            b.field_schema,
            [
              'type',
              'is_tenant',
              'on_disk',
              'lookup',
              'range',
              'is_principal',
              'enable_hnsw',
              'prefix',
            ],
            ['type'],
          ),
    ),
  ];
}

function condition(where: string, c: unknown): Problems {
  if (!isObj(c)) return [`${where}: expected a condition object`];
  if ('has_id' in c)
    return [
      ...fields(where, c, ['has_id']),
      ...when(Array.isArray(c.has_id) && c.has_id.every(isPointId), `${where}.has_id: point ids`),
    ];
  if ('must' in c || 'should' in c || 'must_not' in c) return filter(where, c);
  const keys = [
    'key',
    'match',
    'range',
    'geo_bounding_box',
    'geo_radius',
    'geo_polygon',
    'values_count',
    'is_empty',
    'is_null',
  ];
  const problems = fields(where, c, keys, ['key']);
  if (c.match !== undefined) {
    const m = c.match as Json;
    problems.push(
      ...fields(`${where}.match`, m, ['value', 'any', 'except', 'text', 'text_any', 'phrase']),
    );
    if ('value' in m)
      problems.push(
        ...when(
          ['string', 'boolean'].includes(typeof m.value) || Number.isInteger(m.value),
          `${where}.match.value: string, integer or boolean`,
        ),
      );
  }
  if (c.range !== undefined) {
    const r = c.range as Json;
    problems.push(...fields(`${where}.range`, r, ['lt', 'gt', 'gte', 'lte']));
    problems.push(...Object.values(r).flatMap((x) => when(isNum(x), `${where}.range: numbers`)));
  }
  if (c.match === undefined && c.range === undefined)
    problems.push(`${where}: a condition without match or range`);
  return problems;
}

/** A Filter (no additional properties in Qdrant's schema). */
export function filter(where: string, f: unknown): Problems {
  if (!isObj(f)) return [`${where}: expected a filter object`];
  const problems = fields(where, f, ['must', 'should', 'must_not', 'min_should']);
  for (const clause of ['must', 'should', 'must_not'] as const) {
    const list = f[clause];
    if (list === undefined || list === null) continue;
    const items = Array.isArray(list) ? list : [list];
    items.forEach((c, i) => problems.push(...condition(`${where}.${clause}[${i}]`, c)));
  }
  return problems;
}

const withPayload = (v: unknown) =>
  when(
    typeof v === 'boolean' ||
      (Array.isArray(v) && v.every((x) => typeof x === 'string')) ||
      isObj(v),
    'with_payload: boolean, field list or selector',
  );

/** PUT /collections/{name}/points (a list of points; Akosha never sends the batch form) */
export function upsertPoints(body: unknown, size: number): Problems {
  const b = body as Json;
  const problems = fields(
    'body',
    b,
    ['points', 'shard_key', 'update_filter', 'update_mode'],
    ['points'],
  );
  if (!Array.isArray(b?.points)) return [...problems, 'points: expected an array'];
  b.points.forEach((p: unknown, i) => {
    const point = p as Json;
    problems.push(...fields(`points[${i}]`, point, ['id', 'vector', 'payload'], ['id', 'vector']));
    problems.push(...when(isPointId(point?.id), `points[${i}].id: an unsigned integer or a UUID`));
    problems.push(...vector(`points[${i}].vector`, point?.vector, size));
    problems.push(
      ...optional(point?.payload, () =>
        when(isObj(point.payload), `points[${i}].payload: an object`),
      ),
    );
  });
  return problems;
}

/** POST /collections/{name}/points/delete: ids, or a filter */
export function deletePoints(body: unknown): Problems {
  const b = body as Json;
  if (isObj(b) && 'filter' in b)
    return [
      ...fields('body', b, ['filter', 'shard_key'], ['filter']),
      ...filter('filter', b.filter),
    ];
  return [
    ...fields('body', b, ['points', 'shard_key'], ['points']),
    ...when(Array.isArray(b?.points) && b.points.every(isPointId), 'points: point ids'),
  ];
}

/** POST /collections/{name}/points/query (a nearest-vector query) */
export function queryPoints(body: unknown, size: number): Problems {
  const b = body as Json;
  const allowed = [
    'shard_key',
    'prefetch',
    'query',
    'using',
    'filter',
    'params',
    'score_threshold',
    'limit',
    'offset',
    'with_vector',
    'with_payload',
    'lookup_from',
  ];
  const params = b?.params as Json;
  const q = params?.quantization as Json;
  return [
    ...fields('body', b, allowed),
    ...vector('query', b?.query, size),
    ...optional(b?.limit, () => when(isInt(b.limit, 1), 'limit: an integer >= 1')),
    ...optional(b?.score_threshold, () =>
      when(isNum(b.score_threshold), 'score_threshold: a number'),
    ),
    ...optional(b?.filter, () => filter('filter', b.filter)),
    ...optional(b?.with_payload, () => withPayload(b.with_payload)),
    ...optional(b?.with_vector, () =>
      when(typeof b.with_vector === 'boolean', 'with_vector: a boolean'),
    ),
    ...optional(params, () =>
      fields('params', params, ['hnsw_ef', 'exact', 'quantization', 'indexed_only', 'acorn']),
    ),
    ...optional(params?.hnsw_ef, () =>
      when(isInt(params.hnsw_ef), 'params.hnsw_ef: an integer >= 0'),
    ),
    ...optional(q, () => fields('params.quantization', q, ['ignore', 'rescore', 'oversampling'])),
    ...optional(q?.oversampling, () =>
      when(
        isNum(q.oversampling) && (q.oversampling as number) >= 1,
        'params.quantization.oversampling: >= 1',
      ),
    ),
  ];
}

/** POST /collections/{name}/points/scroll */
export function scrollPoints(body: unknown): Problems {
  const b = body as Json;
  return [
    ...fields('body', b, [
      'shard_key',
      'offset',
      'limit',
      'filter',
      'with_payload',
      'with_vector',
      'order_by',
    ]),
    ...optional(b?.offset, () => when(isPointId(b.offset), 'offset: a point id')),
    ...optional(b?.limit, () => when(isInt(b.limit, 1), 'limit: an integer >= 1')),
    ...optional(b?.filter, () => filter('filter', b.filter)),
    ...optional(b?.with_payload, () => withPayload(b.with_payload)),
  ];
}

/** POST /collections/{name}/points/count */
export function countPoints(body: unknown): Problems {
  const b = body as Json;
  return [
    ...fields('body', b, ['shard_key', 'filter', 'exact']),
    ...optional(b?.exact, () => when(typeof b.exact === 'boolean', 'exact: a boolean')),
    ...optional(b?.filter, () => filter('filter', b.filter)),
  ];
}

/** POST /collections/{name}/points (read points by id) */
export function retrievePoints(body: unknown): Problems {
  const b = body as Json;
  return [
    ...fields('body', b, ['shard_key', 'ids', 'with_payload', 'with_vector'], ['ids']),
    ...when(Array.isArray(b?.ids) && b.ids.every(isPointId), 'ids: point ids'),
    ...optional(b?.with_payload, () => withPayload(b.with_payload)),
  ];
}

/** `wait` and `timeout` are the only query parameters of the calls Akosha makes. */
export function queryParams(query: URLSearchParams): Problems {
  const problems: Problems = [];
  for (const [k, v] of query) {
    if (k === 'wait')
      problems.push(...when(v === 'true' || v === 'false', `?wait=${v}: true or false`));
    else if (k === 'timeout') problems.push(...when(/^\d+$/.test(v), `?timeout=${v}: seconds`));
    else problems.push(`unknown query parameter ${k}`);
  }
  return problems;
}
