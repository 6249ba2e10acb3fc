import { type AuditResult, searchAuditDetail } from '../../audit';
import type { CallContext, McpDeps } from './deps';
import { RpcCode, RpcError } from './jsonrpc';
import type { Tool, ToolResult } from './tool';

/** Probes are not actions; every other tool call is audited. */
const UNAUDITED_TOOLS = new Set(['get_liveness']);
/** Ids and systems named in one event, at most */
const MAX_LISTED = 100;

type Args = Record<string, unknown>;
type Memory = { memory_id?: unknown; metadata?: { source?: unknown } };

const strings = (values: unknown[]) => [
  ...new Set(values.filter((v): v is string => typeof v === 'string')),
];

/** The systems and ids a call names in its arguments (a batch: of every memory). */
function targetOf(args: Args) {
  const memories: Memory[] = Array.isArray(args.memories) ? (args.memories as Memory[]) : [args];
  const systems = strings([
    args.system_id,
    ...memories.map((m) => (m.metadata as { source?: unknown } | undefined)?.source),
  ]);
  const ids = strings([
    args.reflection_id,
    args.entity_id,
    args.source_id,
    args.target_id,
    ...memories.map((m) => m.memory_id),
  ]).slice(0, MAX_LISTED);
  return {
    ...(systems.length === 1 && { system: systems[0] }),
    ...(systems.length > 1 && { system: systems.slice(0, MAX_LISTED) }),
    ...(ids.length > 0 && { ids }),
  };
}

function detailOf(
  tool: string,
  args: Args,
  dict: ToolResult | undefined,
  call: CallContext,
  deps: McpDeps,
) {
  if (tool === 'search_all_systems' && typeof args.query === 'string') {
    const search = {
      query: args.query,
      limit: args.limit as number | undefined,
      threshold: args.threshold as number | undefined,
      system_id: args.system_id as string | undefined,
      filters: args.filters as Record<string, unknown> | undefined,
    };
    const hits = Array.isArray(dict?.results) ? dict.results.length : 0;
    return searchAuditDetail(search, hits, call.principal.systems, deps.auditQueries === true);
  }
  if (!dict) return {};
  const { status, total, stored, failed, id } = dict;
  return Object.fromEntries(
    Object.entries({ status, total, stored, failed, id }).filter(([, v]) => v !== undefined),
  );
}

function record(
  tool: string,
  args: unknown,
  deps: McpDeps,
  call: CallContext,
  outcome: { dict?: ToolResult; result: AuditResult },
) {
  const a = (typeof args === 'object' && args !== null ? args : {}) as Args;
  deps.audit?.record({
    principal: call.principal.name,
    role: call.principal.role,
    action: `mcp.${tool}`,
    target: targetOf(a),
    result: outcome.result,
    source: call.source,
    request_id: call.requestId,
    detail: detailOf(tool, a, outcome.dict, call, deps),
  });
}

/**
 * Calls the tool and audits the call as `mcp.<tool>`: who, the systems and ids it named,
 * and how it ended. A call refused for its scope is left to the denial audit.
 */
export async function auditedCall(
  tool: Tool,
  args: unknown,
  deps: McpDeps,
  call: CallContext,
): Promise<ToolResult> {
  if (!deps.audit || UNAUDITED_TOOLS.has(tool.name)) return tool.call(args, deps, call);
  try {
    const dict = await tool.call(args, deps, call);
    record(tool.name, args, deps, call, {
      dict,
      result: dict.status === 'failed' ? 'error' : 'ok',
    });
    return dict;
  } catch (err) {
    if (!(err instanceof RpcError && err.code === RpcCode.FORBIDDEN))
      record(tool.name, args, deps, call, { result: 'error' });
    throw err;
  }
}
