/**
 * Who may call Akosha: HTTP and MCP callers (tokens, JWT, anonymous networks, roles and the
 * permissions of routes and tools) and each system's NATS user and permissions (nats-auth/).
 * Exports the authenticator, principals and roles, the permission tables, the exposure check,
 * the token store operations and the NATS user generator.
 */

export { LOOPBACK_PRINCIPAL, createAuthenticator } from './authenticator';
export { checkHttpExposure } from './exposure';
export { addSystem, initNatsAuth } from './nats-auth';
export { METRICS_ROUTES, ROUTE_PERMISSIONS, TOOL_PERMISSIONS } from './permissions';
export type { Need } from './permissions';
export { ACCESS_ROLES, canAccessSystem, hasRole } from './principal';
export type { AccessRole, AuthFailure, Authenticator, Principal } from './principal';
export { createToken, listTokens, revokeToken } from './token-store';
export type { TokenSummary } from './token-store';
