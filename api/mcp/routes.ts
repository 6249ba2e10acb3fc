import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext, McpDeps } from './deps';
import {
  RpcCode,
  RpcError,
  idOf,
  isJsonRpc,
  parseJsonBody,
  rpcError,
  rpcResult,
  toRequest,
  type RpcRequest,
  type RpcResponse,
} from './jsonrpc';
import type { ToolResult } from './tool';
import { auditIfForbidden, callContext, callTool, unauthorized } from './authorize';
import { callParams, toolsFor } from './tools';
import { LimitError } from '../limits/errors';
import { MAX_BATCH_CALLS, checkTransport } from './transport';
import { HTTP_LIMIT_DEFAULTS } from '../../infra';

/** Newest first; a client asking for another version gets the newest. */
export const MCP_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/**
 * How a tools/call result is sent: `content` as MCP content blocks (standard clients),
 * `dict` as the tool's own dict (Session-Buddy's and Mahavishnu's Python Akosha clients).
 */
type ResultForm = 'content' | 'dict';

function asContent(dict: ToolResult) {
  return {
    content: [{ type: 'text', text: JSON.stringify(dict) }],
    structuredContent: dict,
    ...(dict.status === 'failed' && { isError: true }),
  };
}

function initializeResult(params: unknown, deps: McpDeps) {
  const asked = (params as { protocolVersion?: unknown } | null)?.protocolVersion;
  const protocolVersion =
    typeof asked === 'string' && MCP_PROTOCOL_VERSIONS.includes(asked)
      ? asked
      : MCP_PROTOCOL_VERSIONS[0];
  return {
    protocolVersion,
    capabilities: { tools: {} },
    serverInfo: { name: 'akosha', version: deps.version ?? '0.1.0' },
    instructions:
      'Akosha aggregates Session-Buddy memories across systems: store_memory / ' +
      'batch_store_memories to push, search_all_systems to search.',
  };
}

async function handleRequest(
  req: RpcRequest,
  form: ResultForm,
  deps: McpDeps,
  call: CallContext,
): Promise<unknown> {
  switch (req.method) {
    case 'initialize':
      return initializeResult(req.params, deps);
    case 'ping':
      return {};
    case 'tools/list':
      return {
        tools: toolsFor(call.principal).map(({ name, description, inputSchema }) => ({
          name,
          description,
          inputSchema,
        })),
      };
    case 'tools/call': {
      const { name, args } = callParams(req.params);
      const dict = await callTool(name, args, deps, call);
      return form === 'content' ? asContent(dict) : dict;
    }
    default:
      throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Method not found: ${req.method}`);
  }
}

/** One JSON-RPC message → its response; notifications and client responses get none. */
async function handleMessage(
  message: unknown,
  form: ResultForm,
  deps: McpDeps,
  request: FastifyRequest,
  call: CallContext,
): Promise<RpcResponse | undefined> {
  let req: RpcRequest | undefined;
  try {
    req = toRequest(message);
  } catch (err) {
    return rpcError(idOf(message), err);
  }
  if (!req) return undefined;
  if (req.id === undefined && req.method.startsWith('notifications/')) return undefined;
  try {
    const result = await handleRequest(req, form, deps, call);
    return req.id === undefined ? undefined : rpcResult(req.id, result);
  } catch (err) {
    if (!(err instanceof RpcError))
      request.log.error({ err, method: req.method }, 'mcp request failed');
    auditIfForbidden(request, err, (req.params as { name?: unknown } | undefined)?.name);
    return req.id === undefined ? undefined : rpcError(req.id, err, request.id);
  }
}

const isLimitError = (r: RpcResponse) => 'error' in r && r.error.code === RpcCode.SERVER_LIMIT;

/** A call refused by a limit: its status and Retry-After, so the client backs off. */
function replyLimited(reply: FastifyReply, body: unknown, status: number, retryAfterS = 1) {
  return reply.code(status).header('retry-after', String(retryAfterS)).send(body);
}

const isClientError = (r: RpcResponse) =>
  'error' in r &&
  (r.error.code === RpcCode.PARSE_ERROR || r.error.code === RpcCode.INVALID_REQUEST);

/** A JSON-RPC endpoint: one message or a batch, JSON answers, 202 when nothing is to be answered. */
async function serveJsonRpc(raw: unknown, form: ResultForm, deps: McpDeps, reply: FastifyReply) {
  const call = callContext(reply.request);
  if (!call) return unauthorized(reply);
  let body: unknown;
  try {
    body = parseJsonBody(raw, deps.jsonMaxDepth ?? HTTP_LIMIT_DEFAULTS.jsonMaxDepth);
  } catch (err) {
    return reply.code(400).send(rpcError(null, err));
  }
  const batch = Array.isArray(body);
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  if (messages.length === 0)
    return reply
      .code(400)
      .send(rpcError(null, new RpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: empty batch')));
  if (messages.length > MAX_BATCH_CALLS)
    return reply
      .code(400)
      .send(
        rpcError(
          null,
          new RpcError(
            RpcCode.INVALID_REQUEST,
            `Invalid Request: a batch of ${messages.length} calls, at most ${MAX_BATCH_CALLS} allowed`,
          ),
        ),
      );
  const responses: RpcResponse[] = [];
  for (const message of messages) {
    const response = await handleMessage(message, form, deps, reply.request, call);
    if (response) responses.push(response);
  }
  if (responses.length === 0) return reply.code(202).send();
  // Sessions hold no state here (any replica can answer any request): the id is only handed out.
  const initializeIds = new Set(
    messages.filter((m) => (m as { method?: unknown })?.method === 'initialize').map(idOf),
  );
  if (responses.some((r) => 'result' in r && initializeIds.has(r.id)))
    reply.header('mcp-session-id', randomUUID());
  const single = responses[0]!;
  if (!batch && isLimitError(single)) return replyLimited(reply, single, 503);
  return reply
    .code(!batch && isClientError(single) ? 400 : 200)
    .type('application/json')
    .send(batch ? responses : single);
}

const HTTP_STATUS_OF: Partial<Record<number, number>> = {
  [RpcCode.PARSE_ERROR]: 400,
  [RpcCode.INVALID_REQUEST]: 400,
  [RpcCode.INVALID_PARAMS]: 400,
  [RpcCode.METHOD_NOT_FOUND]: 404,
  [RpcCode.FORBIDDEN]: 403,
  [RpcCode.UNAVAILABLE]: 503,
};
const ERROR_NAME_OF: Partial<Record<number, string>> = {
  [RpcCode.PARSE_ERROR]: 'parse_error',
  [RpcCode.INVALID_REQUEST]: 'invalid_request',
  [RpcCode.INVALID_PARAMS]: 'invalid_params',
  [RpcCode.METHOD_NOT_FOUND]: 'unknown_tool',
  [RpcCode.FORBIDDEN]: 'forbidden',
  [RpcCode.UNAVAILABLE]: 'unavailable',
};

function toolsCallParams(body: unknown): unknown {
  const req = toRequest(body);
  if (req?.method !== 'tools/call')
    throw new RpcError(
      RpcCode.METHOD_NOT_FOUND,
      'Method not found: this endpoint takes tools/call only (POST /mcp serves every method)',
    );
  return req.params;
}

/**
 * Mahavishnu's `POST /mcp/tools/call`: `{name, arguments}` or the same as JSON-RPC. The reply
 * carries the tool's dict under `result` and, for a tool that returns a list, that list under
 * `results`; errors use HTTP status codes (400 bad JSON or arguments, 404 unknown tool).
 */
async function serveToolsCall(raw: unknown, deps: McpDeps, reply: FastifyReply) {
  const call = callContext(reply.request);
  if (!call) return unauthorized(reply);
  let body: unknown;
  let name: unknown;
  let id: RpcRequest['id'];
  let rpc = false;
  try {
    body = parseJsonBody(raw, deps.jsonMaxDepth ?? HTTP_LIMIT_DEFAULTS.jsonMaxDepth);
    rpc = isJsonRpc(body);
    id = idOf(body);
    const params = callParams(rpc ? toolsCallParams(body) : body);
    name = params.name;
    const dict = await callTool(name, params.args, deps, call);
    const results = Array.isArray(dict.results) ? { results: dict.results } : {};
    return reply.send(
      rpc ? { ...rpcResult(id ?? null, dict), ...results } : { result: dict, ...results },
    );
  } catch (err) {
    if (err instanceof LimitError) {
      const body = rpc ? rpcError(id ?? null, err) : { error: err.reason, message: err.message };
      return replyLimited(reply, body, err.statusCode, err.retryAfterS);
    }
    const e = err instanceof RpcError ? err : undefined;
    const status = (e && HTTP_STATUS_OF[e.code]) ?? 500;
    if (status === 500) reply.log.error({ err }, 'mcp tools/call failed');
    auditIfForbidden(reply.request, err, name);
    const issues = e?.issues ? { issues: e.issues } : {};
    if (rpc)
      return reply.code(status).send({ ...rpcError(id ?? null, err, reply.request.id), ...issues });
    const error = (e && ERROR_NAME_OF[e.code]) ?? 'internal_error';
    const data = e?.code === RpcCode.FORBIDDEN ? { ...e.data, request_id: reply.request.id } : {};
    return reply.code(status).send({
      error,
      message: e ? e.message : 'internal error',
      ...issues,
      ...data,
      request_id: reply.request.id,
    });
  }
}

/**
 * The MCP surface of Akosha:
 * - `POST /mcp` — MCP streamable HTTP (JSON responses) for standard clients;
 * - `POST /mcp/mcp/v1` and `GET /mcp/status` — Session-Buddy's HTTP push (results as plain dicts);
 * - `POST /mcp/tools/call` — Mahavishnu's calls.
 * The routes live in their own plugin scope, whose body parser hands the raw text over,
 * so malformed JSON is answered as JSON-RPC (-32700) rather than by Fastify.
 */
export function registerMcpRoutes(app: FastifyInstance, deps: McpDeps): void {
  const bodyLimit = deps.bodyLimitBytes ?? HTTP_LIMIT_DEFAULTS.mcpBodyLimitBytes;
  app.register(async (scope) => {
    scope.addHook('onRequest', checkTransport(deps.allowedOrigins ?? []));
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) =>
      done(null, body),
    );
    scope.post('/mcp', { bodyLimit }, (req, reply) =>
      serveJsonRpc(req.body, 'content', deps, reply),
    );
    scope.get('/mcp', (_req, reply) =>
      reply.code(405).header('allow', 'POST').send({ error: 'method_not_allowed' }),
    );
    scope.delete('/mcp', (_req, reply) =>
      reply.code(405).header('allow', 'POST').send({ error: 'method_not_allowed' }),
    );
    scope.post('/mcp/mcp/v1', { bodyLimit }, (req, reply) =>
      serveJsonRpc(req.body, 'dict', deps, reply),
    );
    scope.get('/mcp/status', async (req) => ({
      status: 'ok',
      service: 'akosha',
      ready: deps.readiness().ready,
      tools: req.principal ? toolsFor(req.principal).map((t) => t.name) : [],
    }));
    scope.post('/mcp/tools/call', { bodyLimit }, (req, reply) =>
      serveToolsCall(req.body, deps, reply),
    );
  });
}
