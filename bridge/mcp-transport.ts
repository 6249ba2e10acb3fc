import { randomUUID } from 'node:crypto';
import { MahavishnuError } from './mahavishnu-error';
import { isObject, parseRpcReply, type RpcReply } from './mcp-reply';

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

/**
 * One JSON-RPC request per HTTP POST to an MCP endpoint. Accepts a plain JSON reply or an
 * SSE reply (FastMCP streamable HTTP) and opens an MCP session when the server asks for one.
 */
export class McpHttpTransport {
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;

  constructor(
    private readonly endpoint: string,
    private readonly headers: Record<string, string>,
    private readonly fetchImpl: typeof fetch,
  ) {}

  /**
   * `tools/call`, first without a session (plain JSON-RPC servers answer it). When the
   * server wants an MCP session (400 without one, 404 for an expired one — FastMCP's
   * streamable HTTP), initializes one and retries once.
   */
  async toolsCall(
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
