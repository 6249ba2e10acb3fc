import { MahavishnuError } from './mahavishnu-error';

/** A tool's own result: the JSON the Python tool returned (MCP content unwrapped). */
export type ToolValue = Record<string, unknown>;

export interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown };
}

const FAILED_STATUSES = new Set(['failed', 'error', 'unhealthy']);

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
export function toolValue(tool: string, reply: RpcReply): ToolValue {
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

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
