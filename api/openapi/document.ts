import { version } from '../../package.json';
import {
  GenerateBatchEmbeddingsArgs,
  GenerateBatchEmbeddingsResult,
  GenerateEmbeddingArgs,
  GenerateEmbeddingResult,
} from '../../embedding';
import { SearchRequest } from '../search';
import { adminPaths } from './admin-paths';
import { auditPaths } from './audit-paths';
import * as consoleSchemas from './console-schemas';
import { consolePaths } from './console-paths';
import * as graph from './graph-schemas';
import { graphPaths } from './graph-paths';
import * as hand from './hand-schemas';
import { fromZod } from './helpers';
import { mcpPaths } from './mcp-paths';
import { apiPaths, opsPaths } from './paths';
import * as res from './responses';

/**
 * The OpenAPI 3.1 document of every route of the HTTP server. Request schemas come from
 * the zod schemas the routes validate with, so they follow those schemas' changes; a test
 * fails when a route is registered without being listed here.
 */
export function buildOpenApiDocument() {
  return {
    openapi: '3.1.1',
    info: {
      title: 'Akosha',
      version,
      description: 'Memories of AI coding sessions, aggregated across systems and searchable.',
    },
    paths: {
      ...opsPaths,
      ...apiPaths,
      ...graphPaths,
      ...adminPaths,
      ...auditPaths,
      ...consolePaths,
      ...mcpPaths,
    },
    // every route but /health and the console's files takes a static token or a JWT (README, "Security")
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        SearchRequest: fromZod(SearchRequest, 'input'),
        SearchResponse: hand.SearchResponse,
        SearchHit: hand.SearchHit,
        GenerateEmbeddingRequest: fromZod(GenerateEmbeddingArgs, 'input'),
        GenerateEmbeddingResponse: fromZod(GenerateEmbeddingResult, 'output'),
        GenerateBatchEmbeddingsRequest: fromZod(GenerateBatchEmbeddingsArgs, 'input'),
        GenerateBatchEmbeddingsResponse: fromZod(GenerateBatchEmbeddingsResult, 'output'),
        Memory: fromZod(res.Memory, 'output'),
        SystemsResponse: fromZod(res.SystemsResponse, 'output'),
        StatusResponse: fromZod(res.StatusResponse, 'output'),
        WhoAmI: fromZod(consoleSchemas.WhoAmI, 'output'),
        TiersResponse: fromZod(consoleSchemas.TiersResponse, 'output'),
        CacheStats: fromZod(consoleSchemas.CacheStats, 'output'),
        Readiness: fromZod(res.Readiness, 'output'),
        Health: fromZod(res.Health, 'output'),
        McpStatus: fromZod(res.McpStatus, 'output'),
        InvalidRequest: fromZod(res.InvalidRequest, 'output'),
        NotFound: fromZod(res.NotFound, 'output'),
        NoShards: fromZod(res.NoShards, 'output'),
        NatsUnavailable: fromZod(res.NatsUnavailable, 'output'),
        EntityDetail: fromZod(graph.EntityDetail, 'output'),
        GraphNeighbors: fromZod(graph.Neighbors, 'output'),
        GraphPath: fromZod(graph.GraphPath, 'output'),
        GraphStatistics: fromZod(graph.GraphStatistics, 'output'),
        LinkedEntity: fromZod(graph.LinkedEntity, 'output'),
        NoGraph: fromZod(graph.NoGraph, 'output'),
        JsonRpcRequest: hand.JsonRpcRequest,
        JsonRpcResponse: hand.JsonRpcResponse,
        ToolsCallRequest: hand.ToolsCallRequest,
        ToolsCallResponse: hand.ToolsCallResponse,
      },
    },
  };
}
