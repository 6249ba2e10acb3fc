import { hasRole, type Principal, TOOL_PERMISSIONS } from '../../auth';
import { createEntity, createRelation } from './graph-tools';
import { findPath, getGraphStatistics, queryKnowledgeGraph } from './graph-query-tools';
import { RpcCode, RpcError, forbidden } from './jsonrpc';
import { batchStoreMemories, storeMemory, storeReflection } from './memory-tools';
import {
  generateBatchEmbeddingsTool,
  generateEmbeddingTool,
  getLiveness,
  getReadiness,
  getStorageStatus,
  searchAllSystems,
} from './query-tools';
import type { Tool } from './tool';

/** Every tool, under the names Mahavishnu and Session-Buddy already call. */
export const TOOLS: readonly Tool[] = [
  storeMemory,
  batchStoreMemories,
  storeReflection,
  searchAllSystems,
  generateEmbeddingTool,
  generateBatchEmbeddingsTool,
  getLiveness,
  getReadiness,
  getStorageStatus,
  createEntity,
  createRelation,
  queryKnowledgeGraph,
  findPath,
  getGraphStatistics,
];

const BY_NAME = new Map(TOOLS.map((t) => [t.name, t]));

export function findTool(name: unknown): Tool {
  if (typeof name !== 'string' || name === '')
    throw new RpcError(RpcCode.INVALID_PARAMS, 'Invalid params: name must be a tool name', [
      { path: 'name', message: 'must be a non-empty string' },
    ]);
  const tool = BY_NAME.get(name);
  if (!tool) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `Unknown tool: ${name}`);
  return tool;
}

const mayCall = (principal: Principal, tool: Tool): boolean => {
  const need = TOOL_PERMISSIONS[tool.name];
  return need !== undefined && hasRole(principal, need);
};

/** Refuses a call the principal's role does not allow; a tool not in the matrix, to everyone. */
export function authorizeTool(principal: Principal, tool: Tool): void {
  if (!mayCall(principal, tool)) throw forbidden(TOOL_PERMISSIONS[tool.name] ?? 'admin');
}

/** The tools this principal may call: what tools/list shows it. */
export const toolsFor = (principal: Principal): Tool[] =>
  TOOLS.filter((tool) => mayCall(principal, tool));

/** `{name, arguments}` of a tools/call. */
export function callParams(params: unknown): { name: unknown; args: unknown } {
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    throw new RpcError(RpcCode.INVALID_PARAMS, 'Invalid params: expected {name, arguments}', [
      { path: '', message: 'params must be an object {name, arguments}' },
    ]);
  const p = params as { name?: unknown; arguments?: unknown };
  return { name: p.name, args: p.arguments ?? {} };
}
