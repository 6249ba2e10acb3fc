import type { AccessRole } from '../../auth';
import type { Issue } from '../../infra';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../schemas';
import { LimitError } from '../limits/errors';

/** JSON-RPC 2.0 error codes used by the MCP endpoints. */
export const RpcCode = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** the caller's role or system scope does not allow this call */
  FORBIDDEN: -32003,
  /** a limit refused the call (busy, rate); `data.reason` says which */
  SERVER_LIMIT: -32000,
  /** this process lacks what the tool needs (a graph store); another process may have it */
  UNAVAILABLE: -32001,
} as const;
export type RpcCode = (typeof RpcCode)[keyof typeof RpcCode];

export type RpcId = string | number | null;

export interface RpcRequest {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
  /** absent on a notification */
  id?: RpcId;
}

export interface RpcErrorBody {
  code: RpcCode;
  message: string;
  data?: { issues?: Issue[]; [key: string]: unknown };
}

export type RpcResponse =
  | { jsonrpc: '2.0'; id: RpcId; result: unknown }
  | { jsonrpc: '2.0'; id: RpcId; error: RpcErrorBody };

/** A failure that becomes a JSON-RPC error object (and an HTTP status on the plain endpoint). */
export class RpcError extends Error {
  constructor(
    readonly code: RpcCode,
    message: string,
    readonly issues?: Issue[],
    /** more of the error for the caller (a forbidden call: what it needed) */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RpcError';
  }

  toBody(): RpcErrorBody {
    const data = { ...this.data, ...(this.issues && { issues: this.issues }) };
    return Object.keys(data).length > 0
      ? { code: this.code, message: this.message, data }
      : { code: this.code, message: this.message };
  }
}

/** A call the principal may not make: its role is below `need`, or `system` is outside its scope. */
export function forbidden(need: AccessRole, system?: string): RpcError {
  const what =
    system === undefined ? `needs role ${need}` : `system ${system} is outside your scope`;
  return new RpcError(RpcCode.FORBIDDEN, `Forbidden: ${what}`, undefined, {
    error: 'forbidden',
    need,
    ...(system !== undefined && { system }),
  });
}

/**
 * Parses a raw HTTP body as JSON; malformed JSON is a PARSE_ERROR, and so is JSON nested
 * deeper than `maxDepth` (checked on the text first, so no body can exhaust the stack).
 */
export function parseJsonBody(raw: unknown, maxDepth = MAX_JSON_DEPTH): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw.trim() === '') throw new RpcError(RpcCode.PARSE_ERROR, 'Parse error: empty body');
  if (jsonTextTooDeep(raw, maxDepth))
    throw new RpcError(
      RpcCode.PARSE_ERROR,
      `Parse error: JSON nests deeper than ${maxDepth} levels (json_too_deep)`,
      [{ path: '', message: `nests deeper than ${maxDepth} levels` }],
    );
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new RpcError(RpcCode.PARSE_ERROR, `Parse error: ${(err as Error).message}`);
  }
}

const isId = (id: unknown): id is RpcId =>
  id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

export function isJsonRpc(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'jsonrpc' in body;
}

/** Checks one JSON-RPC message; a response sent by a client (no method) is returned as undefined. */
export function toRequest(message: unknown): RpcRequest | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message))
    throw new RpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: a message must be an object');
  const m = message as Record<string, unknown>;
  if (m.jsonrpc !== '2.0')
    throw new RpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"');
  if (!('method' in m) && ('result' in m || 'error' in m)) return undefined;
  if (typeof m.method !== 'string')
    throw new RpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: method must be a string');
  if ('id' in m && !isId(m.id))
    throw new RpcError(RpcCode.INVALID_REQUEST, 'Invalid Request: id must be a string or number');
  const request: RpcRequest = { jsonrpc: '2.0', method: m.method };
  if ('params' in m) request.params = m.params;
  if ('id' in m) request.id = m.id as RpcId;
  return request;
}

/** The id to answer a message with, even when the message itself is invalid. */
export function idOf(message: unknown): RpcId {
  const id = (message as { id?: unknown } | null)?.id;
  return isId(id) ? id : null;
}

export const rpcResult = (id: RpcId, result: unknown): RpcResponse => ({
  jsonrpc: '2.0',
  id,
  result,
});

/** The error object of a failure; an unexpected one says nothing of its cause (that is logged). */
export function rpcError(id: RpcId, err: unknown, requestId?: string): RpcResponse {
  const error: RpcErrorBody =
    err instanceof RpcError
      ? err.toBody()
      : err instanceof LimitError
        ? { code: RpcCode.SERVER_LIMIT, message: err.message, data: { reason: err.reason } }
        : {
            code: RpcCode.INTERNAL_ERROR,
            message: 'Internal error',
            ...(requestId !== undefined && { data: { request_id: requestId } }),
          };
  return { jsonrpc: '2.0', id, error };
}
