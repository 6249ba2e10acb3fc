import { MAHAVISHNU_DEFAULTS, readPemFile, withCertAdvice } from '../infra';
import { fetchTrustingCa } from './https-fetch';
import { MahavishnuError } from './mahavishnu-error';
import { toolValue, type ToolValue } from './mcp-reply';
import { McpHttpTransport } from './mcp-transport';

// Part of the client's API: its callers handle these errors and results.
export {
  MahavishnuError,
  MahavishnuErrorCodes,
  type MahavishnuErrorCode,
} from './mahavishnu-error';
export { parseRpcReply, type ToolValue } from './mcp-reply';

export const DEFAULT_MAHAVISHNU_URL: string = MAHAVISHNU_DEFAULTS.url;

export interface MahavishnuClientOptions {
  /** base URL; `/mcp` is appended unless the URL already ends with it (default http://127.0.0.1:8680) */
  url?: string;
  /** per-call timeout, enforced with an AbortController (default 5000 ms) */
  timeoutMs?: number;
  /** extra request headers */
  headers?: Record<string, string>;
  /** sent as `Authorization: Bearer <token>` with every call; never logged */
  token?: string;
  /** PEM file of the CA that signed an https Mahavishnu's certificate; absent: the system's */
  caFile?: string;
  /** injected for tests; defaults to the global fetch */
  fetch?: typeof fetch;
}

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

/**
 * Calls Mahavishnu's MCP tools with one JSON-RPC `tools/call` per HTTP POST to `<url>/mcp`
 * (see McpHttpTransport), and unwraps MCP content blocks into the tool's own dict.
 */
export class MahavishnuClient {
  readonly url: string;
  readonly endpoint: string;
  readonly timeoutMs: number;
  private readonly transport: McpHttpTransport;

  constructor(options: MahavishnuClientOptions = {}) {
    this.url = (options.url ?? DEFAULT_MAHAVISHNU_URL).replace(/\/+$/, '');
    this.endpoint = this.url.endsWith('/mcp') ? this.url : `${this.url}/mcp`;
    this.timeoutMs = options.timeoutMs ?? MAHAVISHNU_DEFAULTS.callTimeoutMs;
    const headers = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    this.transport = new McpHttpTransport(this.endpoint, headers, fetchFor(options));
  }

  /**
   * Runs one tool; resolves with its result dict or rejects with a MahavishnuError. The
   * timeout covers the whole call, including an MCP session handshake when one is needed.
   */
  async callTool(name: string, args: Record<string, unknown> = {}): Promise<ToolValue> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      return toolValue(name, await this.transport.toolsCall(name, args, controller.signal));
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
        `${name}: ${this.endpoint} unreachable: ${describe(withCertAdvice(err, 'AKOSHA_MAHAVISHNU_CA'))}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
    }
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
}

/** The injected fetch, else one trusting the configured CA, else the global fetch. */
function fetchFor(options: MahavishnuClientOptions): typeof fetch {
  if (options.fetch) return options.fetch;
  if (options.caFile) return fetchTrustingCa(readPemFile('AKOSHA_MAHAVISHNU_CA', options.caFile));
  return fetch;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${cause}`;
}
