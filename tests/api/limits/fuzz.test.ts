import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { TOOLS } from '../../../api/mcp/tools';
import { ROUTE_PERMISSIONS } from '../../../auth/permissions';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';
import { openGraphStore } from '../../../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../../../storage/graph/types';
import { HotStore } from '../../../storage/hot-store';
import { startTestNatsWithStreams, type TestNats } from '../../helpers/nats';
import { startLimitsServer } from './server';

/** What a body must never show: the runtime's or the file system's insides. */
const INTERNAL = /Maximum call stack|RangeError|TypeError|\n\s+at |\/work\/|node_modules|\.ts:\d/;

/** The aging triggers are left out: they ask the scheduler over NATS (503 without one here). */
const POST_ROUTES = Object.keys(ROUTE_PERMISSIONS)
  .filter((r) => r.startsWith('POST ') && !r.includes('/aging/'))
  .map((r) => r.slice(5));

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...PROTO_KEYS));
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.integer({ min: 0, max: 300_000 }).map((n) => 'x'.repeat(n)),
);
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
}));

/** A JSON text nested `depth` levels in arrays and objects, around `inner`. */
const deep = fc
  .tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? '['.repeat(depth) + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

/** Arguments of a tool: its own argument names with random values, or anything at all. */
const argsOf = (names: string[]) =>
  fc.oneof(
    value,
    fc.record(Object.fromEntries(names.map((n) => [n, value])), { requiredKeys: [] }),
  );

const toolCall = fc
  .constantFrom(...TOOLS)
  .chain((tool) =>
    fc
      .tuple(argsOf(Object.keys((tool.inputSchema.properties ?? {}) as object)), deep)
      .map(([args, deepText]) => ({ tool: tool.name, args, deepText })),
  );

type Case = { path: string; body: string };

const mcpCase: fc.Arbitrary<Case> = fc
  .tuple(toolCall, fc.constantFrom('/mcp', '/mcp/mcp/v1', '/mcp/tools/call'), fc.nat(3))
  .map(([{ tool, args, deepText }, path, form]) => {
    const params = { name: tool, arguments: args };
    const rpc = { jsonrpc: '2.0', id: 1, method: 'tools/call', params };
    const bodies = [
      JSON.stringify(path === '/mcp/tools/call' ? params : rpc),
      JSON.stringify([rpc, rpc]),
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${tool}","arguments":{"metadata":${deepText}}}}`,
      `{"name":"${tool}","arguments":{"content":"c","metadata":${deepText}}}`,
    ];
    return { path, body: bodies[form]! };
  });

const httpCase: fc.Arbitrary<Case> = fc
  .tuple(fc.constantFrom(...POST_ROUTES), fc.oneof(value, deep, fc.string()), fc.boolean())
  .map(([path, body, raw]) => ({
    path,
    body: raw && typeof body === 'string' ? body : (JSON.stringify(body) ?? 'null'),
  }));

describe('fuzz: every HTTP and MCP body against a real server', () => {
  let nats: TestNats;
  let store: HotStore;
  let graph: GraphStore;
  let app: FastifyInstance;
  let base: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'akosha-fuzz-'));
    nats = await startTestNatsWithStreams();
    store = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
    // with a graph: without one the graph tools rightly answer 503 (no_graph)
    graph = await openGraphStore(join(dir, 'graph.duckdb'));
    ({ app, base } = await startLimitsServer(nats, { store, graph }));
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await graph.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async ({ path, body }: Case) => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const answer = await res.text();
    if (res.status >= 500 || INTERNAL.test(answer))
      throw new Error(
        `${path} → ${res.status} ${answer.slice(0, 300)}\nbody: ${body.slice(0, 300)}`,
      );
  };

  it('never answers 5xx nor shows an internal message: MCP tools on the three MCP routes', async () => {
    await fc.assert(fc.asyncProperty(mcpCase, check), { numRuns: 250, seed: Date.now() });
  }, 60_000);

  it('never answers 5xx nor shows an internal message: every POST route', async () => {
    await fc.assert(fc.asyncProperty(httpCase, check), { numRuns: 150 });
  }, 60_000);
});
