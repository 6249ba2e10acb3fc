import { z } from 'zod';
import { issuesFrom } from '../../infra';
import type { CallContext, McpDeps } from './deps';
import { RpcCode, RpcError } from './jsonrpc';

/** What a tool returns: the Python Akosha's result dict, sent as is to the legacy callers. */
export type ToolResult = Record<string, unknown>;

export interface Tool {
  name: string;
  description: string;
  /** JSON Schema of the arguments, generated from the zod schema */
  inputSchema: Record<string, unknown>;
  call(args: unknown, deps: McpDeps, call: CallContext): Promise<ToolResult>;
}

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  description: string;
  args: S;
  /** schema shown in tools/list when it says more than the one arguments are parsed with */
  listedArgs?: z.ZodType;
  run(args: z.output<S>, deps: McpDeps, call: CallContext): Promise<ToolResult>;
}

/** Bad arguments → INVALID_PARAMS with every issue. */
export function invalidParams(tool: string, issues: { path: string; message: string }[]): RpcError {
  const detail = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
  return new RpcError(RpcCode.INVALID_PARAMS, `Invalid arguments for ${tool}: ${detail}`, issues);
}

export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): Tool {
  const { $schema: _drop, ...inputSchema } = z.toJSONSchema(spec.listedArgs ?? spec.args, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    name: spec.name,
    description: spec.description,
    inputSchema,
    async call(args, deps, call) {
      const parsed = spec.args.safeParse(args ?? {});
      if (!parsed.success) throw invalidParams(spec.name, issuesFrom(parsed.error.issues));
      return spec.run(parsed.data, deps, call);
    },
  };
}
