import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as shapes from './shapes';
import * as state from './state';

type Json = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  /** path without the query string */
  path: string;
  query: URLSearchParams;
  body: unknown;
  /** the operation it was recognised as, e.g. `upsert_points` */
  operation: string;
}

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'qdrant');

/** A recorded Qdrant response (tests/fixtures/qdrant/<name>.json). */
export const fixture = (name: string): Json =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Json;

/** The recorded envelope (`status`, `time`) around a result computed from the server's state. */
const ok = (name: string, result: unknown): Answer => ({
  status: 200,
  body: { ...fixture(name), result },
});
const error = (status: number, name: string, collection?: string): Answer => {
  const body = fixture(name);
  const status_ = body.status as { error: string };
  const message = collection ? status_.error.replace('akosha_hot', collection) : status_.error;
  return { status, body: { ...body, status: { error: message } } };
};

/**
 * A stand-in for a Qdrant server on 127.0.0.1 (no Qdrant can run on the machines these tests
 * run on): it checks the method, path, query and JSON body of every request against Qdrant's
 * REST schema (shapes.ts), records them, and answers with Qdrant's recorded responses
 * (tests/fixtures/qdrant/) whose results come from an in-memory copy of the points
 * (state.ts). `upstream`: every well-formed request is forwarded to a real Qdrant instead.
 * `outage` makes it answer every request with an error, as a server that is down would.
 */
export class RecordingQdrant {
  readonly requests: RecordedRequest[] = [];
  /** requests Qdrant would refuse, with why */
  readonly problems: string[] = [];
  readonly collections = new Map<string, state.Collection>();
  /** answers given instead of the computed ones, first in first out */
  readonly script: Answer[] = [];
  outage: { status: number; retryAfterS?: number } | undefined;
  private server!: Server;
  private operations = 10;
  url = '';

  private constructor(private readonly opts: { apiKey?: string; upstream?: string }) {}

  static async start(opts: { apiKey?: string; upstream?: string } = {}): Promise<RecordingQdrant> {
    const q = new RecordingQdrant(opts);
    q.server = createServer((req, res) => void q.handle(req, res));
    await new Promise<void>((r) => q.server.listen(0, '127.0.0.1', r));
    q.url = `http://127.0.0.1:${(q.server.address() as AddressInfo).port}`;
    return q;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Requests recognised as `operation` (e.g. `upsert_points`), optionally on one collection. */
  calls(operation: string, collection?: string): RecordedRequest[] {
    return this.requests.filter(
      (r) =>
        r.operation === operation &&
        (collection === undefined || r.path.startsWith(`/collections/${collection}`)),
    );
  }

  /** The payloads of a collection's points. */
  payloads(collection: string): Json[] {
    return [...(this.collections.get(collection)?.points.values() ?? [])].map((p) => p.payload);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://qdrant');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return this.send(res, { status: 400, body: { status: { error: 'Json deserialize error' } } });
    }
    const answer = await this.answer(req, url, body, text);
    this.send(res, answer);
  }

  private async answer(req: IncomingMessage, url: URL, body: unknown, text: string) {
    const method = req.method ?? 'GET';
    const route = routeOf(method, url.pathname);
    const problems = route
      ? [...route.check(body, this), ...shapes.queryParams(url.searchParams)]
      : [`no Qdrant endpoint ${method} ${url.pathname}`];
    if (this.opts.apiKey !== undefined && req.headers['api-key'] !== this.opts.apiKey)
      problems.push('missing or wrong api-key header');
    const operation = route?.operation ?? 'unknown';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, body, operation });
    this.problems.push(...problems.map((p) => `${method} ${url.pathname}: ${p}`));
    if (this.outage) return this.outageAnswer();
    if (problems.length > 0) return error(400, 'error-bad-request');
    const scripted = this.script.shift();
    if (scripted) return scripted;
    if (this.opts.upstream) return this.forward(req, url, text);
    return route!.run(this, route!.collection, body as Json);
  }

  private outageAnswer(): Answer {
    const { status, retryAfterS } = this.outage!;
    const headers = retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) };
    return { ...error(status, 'error-unavailable'), ...(headers && { headers }) };
  }

  private async forward(req: IncomingMessage, url: URL, text: string): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (typeof req.headers['api-key'] === 'string') headers['api-key'] = req.headers['api-key'];
    const res = await fetch(`${this.opts.upstream}${url.pathname}${url.search}`, {
      method: req.method ?? 'GET',
      headers,
      ...(text && { body: text }),
    });
    return { status: res.status, body: await res.json() };
  }

  private send(res: ServerResponse, a: Answer): void {
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(JSON.stringify(a.body));
  }

  collection(name: string): state.Collection | undefined {
    return this.collections.get(name);
  }

  nextOperation(): number {
    return this.operations++;
  }
}

interface Route {
  operation: string;
  collection: string;
  check: (body: unknown, q: RecordingQdrant) => string[];
  run: (q: RecordingQdrant, name: string, body: Json) => Answer;
}

const sizeOf = (q: RecordingQdrant, name: string) => q.collection(name)?.size ?? 384;

/** The endpoints Akosha calls: method and path → operation, body check, answer. */
function routeOf(method: string, path: string): Route | undefined {
  const m =
    /^\/collections\/([A-Za-z0-9_-]+)(\/exists|\/index|\/points(?:\/(?:delete|query|scroll|count))?)?$/.exec(
      path,
    );
  if (!m) return undefined;
  const name = m[1]!;
  const key = `${method} ${m[2] ?? ''}`;
  const route = ROUTES[key];
  return route && { ...route, collection: name, check: (b, q) => route.check(b, q, name) };
}

type RouteDef = Omit<Route, 'collection' | 'check'> & {
  check: (body: unknown, q: RecordingQdrant, name: string) => string[];
};

const noBody = (b: unknown) => (b === undefined ? [] : ['this endpoint takes no body']);

/** Runs `fn` on the collection, or answers 404 as Qdrant does for a missing one. */
const onCollection =
  (fn: (c: state.Collection, body: Json, q: RecordingQdrant) => Answer) =>
  (q: RecordingQdrant, name: string, body: Json): Answer => {
    const c = q.collection(name);
    return c ? fn(c, body, q) : error(404, 'error-not-found', name);
  };

const updated = (name: string, q: RecordingQdrant): Answer =>
  ok(name, { operation_id: q.nextOperation(), status: 'completed' });

const ROUTES: Record<string, RouteDef> = {
  'GET /exists': {
    operation: 'collection_exists',
    check: noBody,
    run: (q, name) => ok('collection-exists', { exists: q.collections.has(name) }),
  },
  'GET ': {
    operation: 'get_collection',
    check: noBody,
    run: onCollection((c) => ok('get-collection', collectionInfo(c))),
  },
  'PUT ': {
    operation: 'create_collection',
    check: (b) => shapes.createCollection(b),
    run: (q, name, body) => {
      if (q.collections.has(name)) return error(409, 'error-already-exists', name);
      q.collections.set(name, state.newCollection(body));
      return ok('create-collection', true);
    },
  },
  'DELETE ': {
    operation: 'delete_collection',
    check: noBody,
    run: (q, name) => ok('delete-collection', q.collections.delete(name)),
  },
  'PUT /index': {
    operation: 'create_field_index',
    check: (b) => shapes.createIndex(b),
    run: onCollection((c, body, q) => {
      c.indexes.set(String(body.field_name), body.field_schema);
      return updated('create-index', q);
    }),
  },
  'PUT /points': {
    operation: 'upsert_points',
    check: (b, q, name) => shapes.upsertPoints(b, sizeOf(q, name)),
    run: onCollection((c, body, q) => {
      const op = q.nextOperation();
      for (const p of body.points as Json[])
        c.points.set(String(p.id), {
          id: p.id as string,
          vector: p.vector as number[],
          payload: (p.payload as Json) ?? {},
          version: op,
        });
      return ok('upsert', { operation_id: op, status: 'completed' });
    }),
  },
  'POST /points/delete': {
    operation: 'delete_points',
    check: (b) => shapes.deletePoints(b),
    run: onCollection((c, body, q) => {
      if (Array.isArray(body.points)) for (const id of body.points) c.points.delete(String(id));
      else
        for (const [id, p] of c.points)
          if (state.matchesFilter(p, body.filter as Json)) c.points.delete(id);
      return updated('delete-points', q);
    }),
  },
  'POST /points/query': {
    operation: 'query_points',
    check: (b, q, name) => shapes.queryPoints(b, sizeOf(q, name)),
    run: onCollection((c, body) => ok('query', state.query(c, body))),
  },
  'POST /points/scroll': {
    operation: 'scroll_points',
    check: (b) => shapes.scrollPoints(b),
    run: onCollection((c, body) => ok('scroll', state.scroll(c, body))),
  },
  'POST /points/count': {
    operation: 'count_points',
    check: (b) => shapes.countPoints(b),
    run: onCollection((c, body) => ok('count', state.count(c, body ?? {}))),
  },
  'POST /points': {
    operation: 'get_points',
    check: (b) => shapes.retrievePoints(b),
    run: onCollection((c, body) => ok('retrieve', state.retrieve(c, body))),
  },
};

/** The recorded collection info with this collection's own configuration and counts. */
function collectionInfo(c: state.Collection): Json {
  const recorded = fixture('get-collection').result as Json;
  const config = recorded.config as Json;
  const created = c.config;
  return {
    ...recorded,
    points_count: c.points.size,
    config: {
      ...config,
      params: {
        ...(config.params as Json),
        vectors: created.vectors,
        on_disk_payload: created.on_disk_payload ?? true,
      },
      hnsw_config: { ...(config.hnsw_config as Json), ...(created.hnsw_config as Json) },
      quantization_config: created.quantization_config ?? null,
    },
    payload_schema: Object.fromEntries(
      [...c.indexes].map(([field, type]) => [field, { data_type: type, points: c.points.size }]),
    ),
  };
}
