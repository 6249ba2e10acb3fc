import type { JetStreamClient } from '@nats-io/jetstream';
import type { AuditSink } from '../../audit';
import type { Principal } from '../../auth';
import type { Embedder } from '../../embedding';
import type { GraphQueries } from '../../storage';

export interface McpSearchRequest {
  query: string;
  limit: number;
  threshold?: number;
  system_id?: string;
  filters?: Record<string, unknown>;
}

/** Who makes a tool call, and from where: each call gets its own. */
export interface CallContext {
  principal: Principal;
  /** the HTTP request's id */
  requestId: string;
  /** client address */
  source: string;
}

/** What the MCP routes need; search is injected so they do not depend on how it is done. */
export interface McpDeps {
  js: JetStreamClient;
  /** the server's max_payload: uploads above it are split into parts */
  maxPayloadBytes: number;
  embedder: Embedder;
  /** only records of the systems of `call.principal` come back */
  search: (req: McpSearchRequest, call: CallContext) => Promise<{ results: readonly unknown[] }>;
  readiness: () => { ready: boolean };
  /** the knowledge graph the graph tools query; absent: they answer UNAVAILABLE (no_graph) */
  graph?: GraphQueries | undefined;
  /** `get_storage_status`; without it the tool reports the JetStream streams */
  storageStatus?: () => Promise<unknown>;
  /** request body limit of the MCP routes (default 8 MiB) */
  bodyLimitBytes?: number;
  /** nesting allowed in a request body (default 32) */
  jsonMaxDepth?: number;
  /** `Origin` values accepted besides the listener's own loopback origins */
  allowedOrigins?: readonly string[];
  /** where tool calls are recorded (api/mcp/audit.ts); absent: nowhere */
  audit?: AuditSink | undefined;
  /** AKOSHA_AUDIT_QUERIES: search events carry the query text */
  auditQueries?: boolean | undefined;
  /** serverInfo.version */
  version?: string;
}
