import { parentPort } from 'node:worker_threads';
import { NativeGraph, type GraphSpec } from './graph';
import type { GraphCall, GraphReply } from './graph-thread';

/** The graph thread (graph-thread.ts): runs each call on its graph, in the order they come. */
const graphs = new Map<number, NativeGraph>();

function run({ graph, op, args }: GraphCall): unknown {
  if (op === 'create') return void graphs.set(graph, new NativeGraph(args[0] as GraphSpec));
  const g = graphs.get(graph);
  if (!g) throw new Error('vector graph is closed');
  if (op === 'close') graphs.delete(graph);
  return (g[op] as (...a: unknown[]) => unknown).apply(g, args);
}

parentPort!.on('message', (call: GraphCall) => {
  let reply: GraphReply;
  try {
    reply = { id: call.id, result: run(call) };
  } catch (err) {
    reply = { id: call.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
