import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authenticator, Principal } from '../../../auth/principal';
import { GraphMessage, type GraphMessageInput } from '../../../schemas/graph';
import { openGraphStore } from '../../../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../../../storage/graph/types';

export const A = 'graph-api-a';
export const B = 'graph-api-b';

export const ALICE = 'person:alice';
export const AKOSHA = 'project:akosha';
export const DUCKDB = 'tool:duckdb';
export const CPP = 'language:c++';

const AT = '2026-11-20T10:00:00.000Z';
const entity = (source_id: string, name: string, entity_type: string) => ({
  source_id,
  name,
  entity_type,
  observations: [`${name} is known to this system`],
  properties: { origin: source_id },
  updated_at: AT,
});
const relation = (
  source_id: string,
  from: [string, string],
  to: [string, string],
  type: string,
) => ({
  source_id,
  from: { name: from[0], entity_type: from[1] },
  to: { name: to[0], entity_type: to[1] },
  relation_type: type,
  properties: { since: 2024 },
  updated_at: AT,
});

const alice: [string, string] = ['Alice', 'person'];
const akosha: [string, string] = ['Akosha', 'project'];
const duckdb: [string, string] = ['DuckDB', 'tool'];
const cpp: [string, string] = ['C++', 'language'];

/**
 * A chain of three hops over two systems: alice —works_on→ akosha (A and B both say so)
 * —uses→ duckdb —written_in→ c++ (B only). Record `a-rec-1` of A mentions akosha and alice.
 */
export const MESSAGES: GraphMessageInput[] = [
  {
    schema_version: 1,
    system_id: A,
    batch_id: 'batch-a-1',
    created_at: AT,
    entities: [entity('a-e1', ...alice), entity('a-e2', ...akosha)],
    relations: [relation('a-r1', alice, akosha, 'works_on')],
    mentions: [
      { record_id: 'a-rec-1', entity: { name: 'Akosha', entity_type: 'project' } },
      { record_id: 'a-rec-1', entity: { name: 'Alice', entity_type: 'person' } },
    ],
  },
  {
    schema_version: 1,
    system_id: B,
    batch_id: 'batch-b-1',
    created_at: AT,
    entities: [
      entity('b-e1', ...alice),
      entity('b-e2', ...akosha),
      entity('b-e3', ...duckdb),
      entity('b-e4', ...cpp),
    ],
    relations: [
      relation('b-r1', alice, akosha, 'works_on'),
      relation('b-r2', akosha, duckdb, 'uses'),
      relation('b-r3', duckdb, cpp, 'written_in'),
    ],
  },
];

export interface FilledGraph {
  graph: GraphStore;
  close(): Promise<void>;
}

/** A real graph store in a temp dir, filled with MESSAGES. */
export async function openFilledGraph(): Promise<FilledGraph> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-graph-api-'));
  const graph = await openGraphStore(join(dir, 'graph.duckdb'));
  for (const message of MESSAGES) await graph.apply(GraphMessage.parse(message));
  return {
    graph,
    async close() {
      await graph.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Bearer `<name>` of these readers; anything else is refused. */
export const READERS: Record<string, Principal['systems']> = {
  everyone: '*',
  'only-a': [A],
  'only-b': [B],
};

export const readerTokens: Authenticator = {
  enforcing: true,
  authenticate: async ({ authorization }) => {
    const name = authorization?.replace(/^Bearer /, '') ?? '';
    const systems = READERS[name];
    if (systems === undefined) return { ok: false, reason: 'invalid' };
    return { ok: true, principal: { name, role: 'reader', systems, via: 'token' } };
  },
  close: () => undefined,
};

/** GET with a reader's token; status and JSON body. */
export async function getAs(base: string, reader: string, path: string) {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${reader}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A tools/call on Mahavishnu's endpoint (the tool's dict under `result`) and on `/mcp`. */
export async function callTool(base: string, reader: string, name: string, args: unknown) {
  const res = await fetch(`${base}/mcp/tools/call`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, arguments: args }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function rpcCall(base: string, reader: string, name: string, args: unknown) {
  const res = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${reader}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name, arguments: args },
    }),
  });
  return (await res.json()) as {
    result?: { structuredContent: Record<string, unknown> };
    error?: { code: number; message: string; data?: Record<string, unknown> };
  };
}

export const enc = encodeURIComponent;
