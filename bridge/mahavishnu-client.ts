import { randomUUID } from 'node:crypto';

export const DEFAULT_MAHAVISHNU_URL = 'http://127.0.0.1:8680';

/** Why a call to Mahavishnu failed. Every code is a failure for the breaker. */
export const MahavishnuErrorCodes = {
  MAHAVISHNU_TIMEOUT: 'no answer within the call timeout',
  MAHAVISHNU_UNREACHABLE: 'connection failed (refused, reset, DNS)',
  MAHAVISHNU_HTTP_ERROR: 'HTTP status >= 500',
  MAHAVISHNU_REJECTED: 'HTTP status 4xx (bad request, auth, missing session)',
  MAHAVISHNU_RPC_ERROR: 'JSON-RPC error object in the reply',
  MAHAVISHNU_TOOL_FAILED: 'the tool reported a failure (isError, or status failed/error)',
  MAHAVISHNU_BAD_RESPONSE: 'the reply is not a JSON-RPC response',
} as const;

export type MahavishnuErrorCode = keyof typeof MahavishnuErrorCodes;

export class MahavishnuError extends Error {
  readonly code: MahavishnuErrorCode;
  /** HTTP status or JSON-RPC error code, when there was one */
  readonly status: number | undefined;

  constructor(
    code: MahavishnuErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'MahavishnuError';
    this.code = code;
    this.status = options.status;
  }
}

export interface MahavishnuClientOptions {
  /** base URL; `/mcp` is appended unless the URL already ends with it (default http://127.0.0.1:8680) */
  url?: string;
  /** per-call timeout, enforced with an AbortController (default 5000 ms) */
  timeoutMs?: number;
  /** extra request headers, e.g. `authorization` */
  headers?: Record<string, string>;
  /** injected for tests; defaults to the global fetch */
  fetch?: typeof fetch;
}

/** A tool's own result: the JSON the Python tool returned (MCP content unwrapped). */
export type ToolValue = Record<string, unknown>;

export interface TriggerWorkflowArgs {
  adapter: string;
  task_type: string;
  params?: Record<string, unknown>;
  tag?: string;
  repos?: string[];
  timeout?: number;
}

/** Mahavishnu's `trigger_workflow` reply: `{workflow_id, status, ...}` */
export interface TriggerWorkflowResult extends ToolValue {
  workflow_id: string;
  status: string;
}

const FAILED_STATUSES = new Set(['failed', 'error', 'unhealthy']);

/**
 * Calls Mahavishnu's MCP tools with one JSON-RPC `tools/call` per HTTP POST to `<url>/mcp`.
 * Accepts a plain JSON reply or an SSE reply (FastMCP streamable HTTP), opens an MCP
 * session when the server asks for one, and unwraps MCP content blocks into the tool's
 * own dict.
 */
export class MahavishnuClient {
  readonly url: string;
  readonly endpoint: string;
  readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;

  constructor(options: MahavishnuClientOptions = {}) {
    this.url = (options.url ?? DEFAULT_MAHAVISHNU_URL).replace(/\/+$/, '');
    this.endpoint = this.url.endsWith('/mcp') ? this.url : `${this.url}/mcp`;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.headers = options.headers ?? {};
    this.fetchImpl = options.fetch ?? fetch;
  }

  /**
   * Runs one tool; resolves with its result dict or rejects with a MahavishnuError. The
   * timeout covers the whole call, including an MCP session handshake when one is needed.
   */
  async callTool(name: string, args: Record<string, unknown> = {}): Promise<ToolValue> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return toolValue(name, await this.toolsCall(name, args, controller.signal));
    } catch (err) {
      if (err instanceof MahavishnuError) throw err;
      if (controller.signal.aborted) {
        throw new MahavishnuError(
          'MAHAVISHNU_TIMEOUT',
          `${name}: no answer from ${this.endpoint} within ${this.timeoutMs} ms`,
          { cause: err },
        );
      }
      throw new MahavishnuError(
        'MAHAVISHNU_UNREACHABLE',
        `${name}: ${this.endpoint} unreachable: ${describe(err)}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * `tools/call`, first without a session (plain JSON-RPC servers answer it). When the
   * server wants an MCP session (400 without one, 404 for an expired one — FastMCP's
   * streamable HTTP), initializes one and retries once.
   */
  private async toolsCall(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<RpcReply> {
    const params = { name, arguments: args };
    let reply = await this.rpc('tools/call', params, signal);
    if ((reply.status === 400 && !this.sessionId) || reply.status === 404) {
      await this.initializeSession(signal);
      reply = await this.rpc('tools/call', params, signal);
    }
    checkStatus(reply.status, reply.text);
    return parseRpcReply(reply.text, reply.contentType, reply.id);
  }

  /** MCP `initialize` + `notifications/initialized`; keeps the `mcp-session-id` it is given. */
  private async initializeSession(signal: AbortSignal): Promise<void> {
    this.sessionId = undefined;
    this.protocolVersion = undefined;
    const reply = await this.rpc('initialize', INITIALIZE_PARAMS, signal);
    checkStatus(reply.status, reply.text);
    const result = parseRpcReply(reply.text, reply.contentType, reply.id).result;
    if (isObject(result) && typeof result.protocolVersion === 'string') {
      this.protocolVersion = result.protocolVersion;
    }
    this.sessionId = reply.sessionId ?? undefined;
    const note = await this.post(
      JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      signal,
    );
    await note.text();
  }

  private async rpc(method: string, params: unknown, signal: AbortSignal): Promise<HttpReply> {
    const id = randomUUID();
    const response = await this.post(
      JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      signal,
    );
    return {
      id,
      status: response.status,
      text: await response.text(),
      contentType: response.headers.get('content-type'),
      sessionId: response.headers.get('mcp-session-id'),
    };
  }

  /** `trigger_workflow(adapter, task_type, params, tag, repos, timeout)`; a `failed` status is a failure. */
  async triggerWorkflow(args: TriggerWorkflowArgs): Promise<TriggerWorkflowResult> {
    const value = await this.callTool('trigger_workflow', { ...args });
    return {
      ...value,
      workflow_id: typeof value.workflow_id === 'string' ? value.workflow_id : 'unknown',
      status: typeof value.status === 'string' ? value.status : 'unknown',
    };
  }

  /** `get_health()` → `{status: healthy|degraded|unhealthy, ...}`; `unhealthy` is a failure. */
  getHealth(): Promise<ToolValue> {
    return this.callTool('get_health', {});
  }

  private post(body: string, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {
      ...this.headers,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (this.sessionId) headers['mcp-session-id'] = this.sessionId;
    if (this.protocolVersion) headers['mcp-protocol-version'] = this.protocolVersion;
    return this.fetchImpl(this.endpoint, { method: 'POST', headers, body, signal });
  }
}

function checkStatus(status: number, text: string): void {
  if (status >= 500) {
    throw new MahavishnuError('MAHAVISHNU_HTTP_ERROR', `HTTP ${status}: ${text.slice(0, 200)}`, {
      status,
    });
  }
  if (status >= 400) {
    throw new MahavishnuError('MAHAVISHNU_REJECTED', `HTTP ${status}: ${text.slice(0, 200)}`, {
      status,
    });
  }
}

interface HttpReply {
  id: string;
  status: number;
  text: string;
  contentType: string | null;
  sessionId: string | null;
}

const INITIALIZE_PARAMS = {
  protocolVersion: '2025-03-26',
  capabilities: {},
  clientInfo: { name: 'akosha', version: '0.1.0' },
};

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** The JSON-RPC reply in a JSON body, or in the `data:` lines of an SSE body. */
export function parseRpcReply(text: string, contentType: string | null, id: string): RpcReply {
  const candidates: string[] = contentType?.includes('text/event-stream') ? sseData(text) : [text];
  for (const candidate of candidates) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (!isObject(parsed)) continue;
    if (parsed.id !== undefined && parsed.id !== id) continue;
    if ('result' in parsed || 'error' in parsed) return parsed as RpcReply;
  }
  throw new MahavishnuError(
    'MAHAVISHNU_BAD_RESPONSE',
    `not a JSON-RPC response: ${text.slice(0, 200)}`,
  );
}

function sseData(text: string): string[] {
  const events: string[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart());
    if (data.length > 0) events.push(data.join('\n'));
  }
  return events;
}

/** JSON-RPC error → failure; MCP `{content, structuredContent, isError}` → the tool's dict. */
function toolValue(tool: string, reply: RpcReply): ToolValue {
  if (reply.error !== undefined && reply.error !== null) {
    const code = typeof reply.error.code === 'number' ? reply.error.code : undefined;
    const message =
      typeof reply.error.message === 'string' ? reply.error.message : JSON.stringify(reply.error);
    throw new MahavishnuError(
      'MAHAVISHNU_RPC_ERROR',
      `${tool}: JSON-RPC error ${code ?? ''} ${message}`,
      {
        ...(code === undefined ? {} : { status: code }),
      },
    );
  }
  const result = reply.result;
  if (!isObject(result)) return { result };
  const value = unwrapContent(result);
  if (result.isError === true) {
    throw new MahavishnuError('MAHAVISHNU_TOOL_FAILED', `${tool}: ${describeValue(value)}`);
  }
  const status = typeof value.status === 'string' ? value.status.toLowerCase() : undefined;
  if (status !== undefined && FAILED_STATUSES.has(status)) {
    throw new MahavishnuError(
      'MAHAVISHNU_TOOL_FAILED',
      `${tool}: status ${status}: ${describeValue(value)}`,
    );
  }
  return value;
}

function unwrapContent(result: Record<string, unknown>): ToolValue {
  const content = result.content;
  if (Array.isArray(content)) {
    const first: unknown = content[0];
    if (isObject(first) && first.type === 'text' && typeof first.text === 'string') {
      try {
        const parsed: unknown = JSON.parse(first.text);
        if (isObject(parsed)) return parsed;
      } catch {
        // not JSON: fall through to structuredContent or the text itself
      }
      if (isObject(result.structuredContent)) return result.structuredContent;
      return { text: first.text };
    }
    if (isObject(result.structuredContent)) return result.structuredContent;
  }
  return result;
}

function describeValue(value: ToolValue): string {
  const error = value.error ?? value.text ?? value.result;
  return typeof error === 'string' ? error : JSON.stringify(value).slice(0, 200);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
