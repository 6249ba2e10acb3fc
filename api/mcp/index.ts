export type { CallContext, McpDeps, McpSearchRequest } from './deps';
export { registerMcpRoutes, MCP_PROTOCOL_VERSIONS } from './routes';
export { TOOLS } from './tools';
