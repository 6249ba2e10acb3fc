import { z } from 'zod';
import { AkoshaError, issuesFrom } from '../../infra';
import type { Principal } from '../../auth';
import { type MemoryKind, normaliseSystemId } from '../../schemas';
import type { McpDeps } from './deps';
import {
  MAX_BATCH_MEMORIES,
  MemoryEmbedding,
  MemoryInput,
  MemoryMetadata,
  MemoryText,
  failureOf,
  prepareMemories,
  publishMemories,
  sha256Hex,
  stableJson,
  type MemoryFailure,
  type PreparedMemory,
  type PushContext,
} from './ingest';
import { assertInScope } from './scope-check';
import { defineTool, invalidParams, type ToolResult } from './tool';

const SystemIdArg = z
  .string()
  .min(1)
  .max(255)
  .optional()
  .describe('system_id to use when metadata.source is absent (normalised like a hostname)');

const kindOf = (input: MemoryInput): MemoryKind =>
  input.metadata?.type === 'reflection' ? 'reflection' : 'conversation';

const pushContext = (deps: McpDeps, tool: string, systemId?: string): PushContext => ({
  js: deps.js,
  maxPayloadBytes: deps.maxPayloadBytes,
  tool,
  systemId,
  now: new Date(),
});

/** The call's `system_id` argument as a system (none when absent or not a system id). */
function namedSystem(ctx: PushContext): string[] {
  if (ctx.systemId === undefined) return [];
  try {
    return [normaliseSystemId(ctx.systemId)];
  } catch {
    return []; // refused as invalid by each memory that falls back to it
  }
}

/**
 * A writer stores only as the systems of its scope: a memory's system, or the call's
 * `system_id` even where every memory names its own source, outside it refuses the whole call.
 */
const assertWritable = (prepared: PreparedMemory[], ctx: PushContext, principal: Principal) =>
  assertInScope(principal, [...namedSystem(ctx), ...prepared.map((p) => p.system_id)], 'writer');

/**
 * Stores one memory: invalid → INVALID_PARAMS, outside the scope → FORBIDDEN; stored once
 * the broker acked its upload.
 */
async function storeOne(
  input: MemoryInput,
  kind: MemoryKind,
  ctx: PushContext,
  principal: Principal,
): Promise<ToolResult> {
  const { prepared, failures } = prepareMemories([{ index: 0, input }], () => kind, ctx);
  if (failures[0])
    throw invalidParams(ctx.tool, failures[0].issues ?? [{ path: '', message: failures[0].error }]);
  assertWritable(prepared, ctx, principal);
  const published = await publishMemories(prepared, ctx);
  const failure = published.failures[0];
  if (failure)
    return {
      status: 'failed',
      memory_id: input.memory_id,
      error: failure.error,
      retryable: failure.retryable ?? false,
    };
  const memory = prepared[0]!;
  const upload = published.uploads[0]!;
  return {
    status: 'stored',
    memory_id: input.memory_id,
    record_id: memory.record.id,
    kind,
    system_id: upload.system_id,
    source: input.metadata?.source ?? null,
    upload_id: upload.upload_id,
    shard: upload.shard,
    duplicate: upload.duplicate,
    stored_at: ctx.now.toISOString(),
    embedding_dim: memory.record.embedding ? memory.record.embedding.length : null,
    embedding_source: memory.record.embedding ? 'producer' : 'akosha',
    ...(memory.warnings.length > 0 && { warnings: memory.warnings }),
  };
}

const StoreMemoryArgs = z
  .object({
    memory_id: z
      .string()
      .min(1)
      .max(1000)
      .optional()
      .describe('absent: derived from a hash of content and metadata'),
    text: MemoryText.optional(),
    content: MemoryText.optional().describe("Mahavishnu's name for text"),
    embedding: MemoryEmbedding,
    metadata: MemoryMetadata,
    collection: z.string().max(200).optional().describe('kept as metadata.collection'),
    system_id: SystemIdArg,
  })
  // `when`: checked even when other arguments are invalid, so every issue is reported at once
  .refine((a) => a.text !== undefined || a.content !== undefined, {
    path: ['text'],
    message: 'text (or content) is required',
    when: () => true,
  })
  .refine((a) => a.text === undefined || a.content === undefined || a.text === a.content, {
    path: ['content'],
    message: 'give text or content, not both',
    when: () => true,
  });

export const storeMemory = defineTool({
  name: 'store_memory',
  description:
    'Store one memory (Session-Buddy: memory_id, text; Mahavishnu: content, metadata, collection). ' +
    'Returns {status: "stored"|"failed", memory_id, ...} once the broker acknowledged it.',
  args: StoreMemoryArgs,
  run(args, deps, call) {
    const text = (args.text ?? args.content)!;
    const metadata = {
      ...(args.metadata ?? {}),
      ...(args.collection !== undefined && { collection: args.collection }),
    };
    const memory_id =
      args.memory_id ?? `mem-${sha256Hex(stableJson({ content: text, metadata })).slice(0, 32)}`;
    const input = { memory_id, text, embedding: args.embedding ?? null, metadata };
    const ctx = pushContext(deps, 'store_memory', args.system_id);
    return storeOne(input, kindOf(input), ctx, call.principal);
  },
});

export const storeReflection = defineTool({
  name: 'store_reflection',
  description:
    'Store one reflection (Session-Buddy sync). Returns {status: "stored"|"failed", reflection_id, ...}.',
  args: z.object({
    reflection_id: z.string().min(1).max(1000),
    content: MemoryText,
    embedding: MemoryEmbedding,
    metadata: MemoryMetadata,
    system_id: SystemIdArg,
  }),
  async run(args, deps, call) {
    const input = {
      memory_id: args.reflection_id,
      text: args.content,
      embedding: args.embedding ?? null,
      metadata: args.metadata ?? {},
    };
    const ctx = pushContext(deps, 'store_reflection', args.system_id);
    const stored = await storeOne(input, 'reflection', ctx, call.principal);
    return { reflection_id: args.reflection_id, ...stored };
  },
});

const batchArgs = (memories: z.ZodType) =>
  z.object({
    memories: z
      .array(memories)
      .max(MAX_BATCH_MEMORIES, `at most ${MAX_BATCH_MEMORIES} memories per call`),
    system_id: SystemIdArg,
  });

function batchStatus(total: number, stored: number): 'completed' | 'partial' | 'failed' {
  if (stored === total) return 'completed';
  return stored > 0 ? 'partial' : 'failed';
}

/** Parses each memory on its own: an invalid one fails alone, the others are stored. */
function parseMemories(raw: unknown[]) {
  const items: { index: number; input: MemoryInput }[] = [];
  const failures: MemoryFailure[] = [];
  raw.forEach((memory, index) => {
    const parsed = MemoryInput.safeParse(memory);
    if (parsed.success) items.push({ index, input: parsed.data });
    else {
      const id = (memory as { memory_id?: unknown } | null)?.memory_id;
      const error = new AkoshaError('INVALID_RECORD', undefined, {
        issues: issuesFrom(parsed.error.issues),
      });
      failures.push(failureOf(index, typeof id === 'string' ? id : null, error));
    }
  });
  return { items, failures };
}

export const batchStoreMemories = defineTool({
  name: 'batch_store_memories',
  description:
    `Store up to ${MAX_BATCH_MEMORIES} memories. Valid ones are stored even when others are not: ` +
    'returns {status: "completed"|"partial"|"failed", total, stored, failed, errors[]}.',
  args: batchArgs(z.unknown()),
  listedArgs: batchArgs(MemoryInput),
  async run(args, deps, call) {
    const ctx = pushContext(deps, 'batch_store_memories', args.system_id);
    const parsed = parseMemories(args.memories);
    const { prepared, failures } = prepareMemories(parsed.items, kindOf, ctx);
    assertWritable(prepared, ctx, call.principal);
    const published = prepared.length > 0 ? await publishMemories(prepared, ctx) : undefined;
    const errors = [...parsed.failures, ...failures, ...(published?.failures ?? [])].sort(
      (a, b) => a.index - b.index,
    );
    const stored = published?.stored.length ?? 0;
    const warnings = prepared.flatMap((p) =>
      p.warnings.map((warning) => ({ index: p.index, memory_id: p.memory_id, warning })),
    );
    return {
      status: batchStatus(args.memories.length, stored),
      total: args.memories.length,
      stored,
      failed: args.memories.length - stored,
      errors,
      uploads: published?.uploads ?? [],
      stored_at: ctx.now.toISOString(),
      ...(warnings.length > 0 && { warnings }),
    };
  },
});
