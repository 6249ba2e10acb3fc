import { json, jsonBody, ref } from './helpers';

const rpcBody = jsonBody({
  oneOf: [ref('JsonRpcRequest'), { type: 'array', minItems: 1, items: ref('JsonRpcRequest') }],
});
const rpcAnswers = (result: string) => ({
  200: json(`JSON-RPC response (an array for a batch); tools/call: ${result}`, {
    oneOf: [ref('JsonRpcResponse'), { type: 'array', items: ref('JsonRpcResponse') }],
  }),
  202: { description: 'only notifications or responses were sent: nothing to answer' },
  400: json('parse error or invalid request (JSON-RPC error)', ref('JsonRpcResponse')),
});
const notAllowed = {
  summary: 'not supported (no server-sent stream): use POST',
  responses: { 405: json('method not allowed', { type: 'object' }) },
};

/** The MCP surface (api/mcp/routes.ts). */
export const mcpPaths = {
  '/mcp': {
    post: {
      summary: 'MCP streamable HTTP, JSON responses: initialize, ping, tools/list, tools/call',
      requestBody: rpcBody,
      responses: rpcAnswers('MCP content blocks and structuredContent'),
    },
    get: notAllowed,
    delete: notAllowed,
  },
  '/mcp/mcp/v1': {
    post: {
      summary: "Session-Buddy's HTTP push (JSON-RPC 2.0)",
      requestBody: rpcBody,
      responses: rpcAnswers("the tool's own dict as result"),
    },
  },
  '/mcp/status': {
    get: { summary: 'MCP service status', responses: { 200: json('status', ref('McpStatus')) } },
  },
  '/mcp/tools/call': {
    post: {
      summary: "Mahavishnu's tool calls",
      requestBody: jsonBody(ref('ToolsCallRequest')),
      responses: {
        200: json('the tool answered', ref('ToolsCallResponse')),
        400: json('bad JSON or arguments', { type: 'object' }),
        404: json('unknown tool', { type: 'object' }),
        500: json('the tool failed', { type: 'object' }),
      },
    },
  },
};
