import { z } from 'zod';
import {
  generateBatchEmbeddings,
  GenerateBatchEmbeddingsArgs,
  generateEmbedding,
  GenerateEmbeddingArgs,
} from '../../embedding';
import { normaliseSystemId } from '../../schemas';
import { STREAM } from '../../streams';
import type { McpDeps } from './deps';
import { assertInScope } from './scope-check';
import { defineTool, type ToolResult } from './tool';

const started = Date.now();

const SearchArgs = z.object({
  query: z.string().min(1).max(10_000),
  limit: z.number().int().min(1).max(1000).default(10),
  threshold: z.number().min(-1).max(1).default(0.7),
  system_id: z
    .string()
    .min(1)
    .max(255)
    .transform((raw, ctx) => {
      try {
        return normaliseSystemId(raw);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional()
    .describe('only this system (a hostname is normalised like the producer does)'),
  filters: z.record(z.string(), z.unknown()).optional(),
});

export const searchAllSystems = defineTool({
  name: 'search_all_systems',
  description:
    'Semantic search over the memories of every system, best first: {results, total, query}.',
  args: SearchArgs,
  async run(args, deps, call) {
    if (args.system_id !== undefined) assertInScope(call.principal, [args.system_id], 'reader');
    const { results } = await deps.search(
      {
        query: args.query,
        limit: args.limit,
        threshold: args.threshold,
        ...(args.system_id !== undefined && { system_id: args.system_id }),
        ...(args.filters !== undefined && { filters: args.filters }),
      },
      call,
    );
    return { results: [...results], total: results.length, query: args.query };
  },
});

export const generateEmbeddingTool = defineTool({
  name: 'generate_embedding',
  description: 'Embed one text (1..10,000 chars): {embedding_dim, embedding, mode}.',
  args: GenerateEmbeddingArgs,
  run: async (args, deps) => ({ ...(await generateEmbedding(deps.embedder, args)) }),
});

export const generateBatchEmbeddingsTool = defineTool({
  name: 'generate_batch_embeddings',
  description:
    'Embed 1..1,000 texts (≤ 1,000,000 chars in all), batch_size 1..128: ' +
    '{embedding_dim, embeddings, count, mode}.',
  args: GenerateBatchEmbeddingsArgs,
  run: async (args, deps) => ({ ...(await generateBatchEmbeddings(deps.embedder, args)) }),
});

const NoArgs = z.object({});

export const getLiveness = defineTool({
  name: 'get_liveness',
  description: 'Liveness probe: the process answers.',
  args: NoArgs,
  run: async () => ({
    status: 'alive',
    service: 'akosha',
    uptime_seconds: Math.round((Date.now() - started) / 1000),
    timestamp: new Date().toISOString(),
  }),
});

export const getReadiness = defineTool({
  name: 'get_readiness',
  description: 'Readiness probe: ready only while the pipeline consumes (same as GET /ready).',
  args: NoArgs,
  run: async (_args, deps) => {
    const state = deps.readiness();
    return {
      status: state.ready ? 'ready' : 'not_ready',
      service: 'akosha',
      timestamp: new Date().toISOString(),
      ...state,
    };
  },
});

/** Without an injected status: message and byte counts of Akosha's JetStream streams. */
async function streamStatus(deps: McpDeps): Promise<ToolResult> {
  const jsm = await deps.js.jetstreamManager();
  const streams: Record<string, unknown> = {};
  let healthy = true;
  for (const name of Object.values(STREAM)) {
    try {
      const { state } = await jsm.streams.info(name);
      streams[name] = { messages: state.messages, bytes: state.bytes, last_seq: state.last_seq };
    } catch (err) {
      healthy = false;
      streams[name] = { error: (err as Error).message };
    }
  }
  return { status: healthy ? 'ok' : 'degraded', source: 'jetstream', streams };
}

export const getStorageStatus = defineTool({
  name: 'get_storage_status',
  description: 'Storage status: tiers and the JetStream streams that feed them.',
  args: NoArgs,
  async run(_args, deps) {
    if (!deps.storageStatus) return streamStatus(deps);
    const status = await deps.storageStatus();
    return status && typeof status === 'object' && !Array.isArray(status)
      ? { ...(status as ToolResult) }
      : { status: 'ok', storage: status };
  },
});
