import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';

/**
 * How the fake answers: `ok` like FastMCP (content block + structuredContent), `sse` the
 * same as one server-sent event, `slow` after `delayMs`, `fail` HTTP 503, `rpc_error` a
 * JSON-RPC error, `tool_failed` a tool dict with status "failed", `flap` fail/ok in turn.
 */
export type FakeBehaviour = 'ok' | 'sse' | 'slow' | 'fail' | 'rpc_error' | 'tool_failed' | 'flap';

export interface ReceivedCall {
  path: string;
  method: string;
  tool: string;
  arguments: Record<string, unknown>;
  id: unknown;
}

/** A real HTTP server on 127.0.0.1 (ephemeral port) speaking Mahavishnu's JSON-RPC `tools/call`. */
export class FakeMahavishnu {
  behaviour: FakeBehaviour = 'ok';
  delayMs = 1000;
  readonly calls: ReceivedCall[] = [];
  /** requests answered with a success */
  okCount = 0;
  /** behave like FastMCP's stateful streamable HTTP: tools/call needs an initialized session */
  requireSession = false;
  readonly sessions = new Set<string>();
  initializeCount = 0;
  private flapCounter = 0;
  /** requests refused for a missing or wrong bearer token */
  unauthorized = 0;
  private token: string | undefined;
  private server?: Server;
  url = '';

  /** Over https with `tls` (PEM files); with `token`, a call without that bearer token gets 401. */
  async start(opts: { tls?: { cert: string; key: string }; token?: string } = {}): Promise<this> {
    this.token = opts.token;
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = opts.tls
      ? createHttpsServer(
          { cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key) },
          handler,
        )
      : createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.token !== undefined && req.headers.authorization !== `Bearer ${this.token}`) {
      this.unauthorized++;
      res.setHeader('www-authenticate', 'Bearer');
      return this.reply(res, 401, 'application/json', '{"detail":"Not authenticated"}');
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      id: unknown;
      method: string;
      params: { name: string; arguments: Record<string, unknown> };
    };
    if (body.method !== 'tools/call' || this.requireSession) {
      if (this.sessionGate(req, res, body)) return;
    }
    this.calls.push({
      path: req.url ?? '',
      method: body.method,
      tool: body.params.name,
      arguments: body.params.arguments,
      id: body.id,
    });
    let behaviour = this.behaviour;
    if (behaviour === 'flap') behaviour = this.flapCounter++ % 2 === 0 ? 'fail' : 'ok';
    switch (behaviour) {
      case 'fail':
        return this.reply(res, 503, 'application/json', '{"detail":"service unavailable"}');
      case 'rpc_error':
        return this.json(res, {
          jsonrpc: '2.0',
          id: body.id,
          error: { code: -32602, message: `Unknown tool: ${body.params.name}` },
        });
      case 'tool_failed':
        return this.json(res, rpcResult(body.id, { workflow_id: 'wf_error_1', status: 'failed' }));
      case 'slow': {
        const timer = setTimeout(() => this.okReply(res, body), this.delayMs);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'sse': {
        this.okCount++;
        const event = JSON.stringify(rpcResult(body.id, toolResult(body.params.name)));
        return this.reply(res, 200, 'text/event-stream', `event: message\ndata: ${event}\n\n`);
      }
      default:
        return this.okReply(res, body);
    }
  }

  /** Answers initialize / notifications and session errors; true when the request was answered. */
  private sessionGate(
    req: IncomingMessage,
    res: ServerResponse,
    body: { id: unknown; method: string },
  ): boolean {
    if (body.method === 'initialize') {
      this.initializeCount++;
      const session = randomUUID().replace(/-/g, '');
      this.sessions.add(session);
      const result = {
        protocolVersion: '2025-03-26',
        capabilities: { tools: {} },
        serverInfo: { name: 'Mahavishnu Orchestrator', version: 'fake' },
      };
      const event = JSON.stringify({ jsonrpc: '2.0', id: body.id, result });
      res.setHeader('mcp-session-id', session);
      this.reply(res, 200, 'text/event-stream', `event: message\ndata: ${event}\n\n`);
      return true;
    }
    if (body.method.startsWith('notifications/')) {
      this.reply(res, 202, 'application/json', '');
      return true;
    }
    const session = req.headers['mcp-session-id'];
    if (typeof session !== 'string' || !this.sessions.has(session)) {
      const missing = typeof session !== 'string';
      const message = missing ? 'Bad Request: Missing session ID' : 'Session not found';
      const error = { jsonrpc: '2.0', id: 'server-error', error: { code: -32600, message } };
      this.reply(res, missing ? 400 : 404, 'application/json', JSON.stringify(error));
      return true;
    }
    return false;
  }

  private okReply(res: ServerResponse, body: { id: unknown; params: { name: string } }): void {
    this.okCount++;
    this.json(res, rpcResult(body.id, toolResult(body.params.name)));
  }

  private json(res: ServerResponse, value: unknown): void {
    this.reply(res, 200, 'application/json', JSON.stringify(value));
  }

  private reply(res: ServerResponse, status: number, type: string, text: string): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': type });
    res.end(text);
  }
}

function toolResult(tool: string): Record<string, unknown> {
  if (tool === 'get_health') return { status: 'healthy', app_healthy: true };
  return { workflow_id: `wf_${tool}_1`, status: 'queued', adapter: 'prefect' };
}

/** FastMCP's shape for a tool returning a dict. */
function rpcResult(id: unknown, value: Record<string, unknown>) {
  return {
    jsonrpc: '2.0',
    id,
    result: {
      content: [{ type: 'text', text: JSON.stringify(value) }],
      structuredContent: value,
      isError: false,
    },
  };
}

/** A clock the test moves by hand; the code under test reads it on every tick. */
export class ManualClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
