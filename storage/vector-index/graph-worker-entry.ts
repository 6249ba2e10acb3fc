/**
 * The thread of a GraphThread (graph-thread.ts): owns one usearch graph and answers its calls.
 * Loaded by path, compiled or through tsx: infra/entry-files.ts.
 */
import { getPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Index } from 'usearch';
// eslint-disable-next-line no-restricted-imports -- a thread starts faster without infra's index
import { currentThreadId, lowerThreadPriority, setThreadNice } from '../../infra/thread-priority';
import { packMatches, type GraphCall, type GraphReply, type GraphWorkerData } from './graph-thread';
import { searchBatch } from './search-batch';

type Search = Extract<GraphCall, { op: 'search' }>;
type Other = Exclude<GraphCall, Search>;
type Add = Extract<GraphCall, { op: 'add' }>;

const port = parentPort!;
const { config, batchThreads, nice, addSlice } = workerData as GraphWorkerData;
const index = new Index(config);
const searches: Search[] = [];
const calls: Other[] = [];
let scheduled = false;

/**
 * The thread's priority: lowered to `nice` (usearch's threads of an add inherit it), and back
 * to the caller's while it searches, where the system allows that (CAP_SYS_NICE).
 */
const priority = {
  normal: getPriority(0),
  low: lowerThreadPriority(nice),
  mayRaise: true,
  raise() {
    if (this.low > this.normal && this.mayRaise) this.mayRaise = setThreadNice(0, this.normal);
  },
  lower() {
    if (this.low > this.normal && this.mayRaise) setThreadNice(0, this.low);
  },
};
port.postMessage({
  thread: { tid: currentThreadId(), normal: priority.normal, low: priority.low },
} satisfies GraphReply);

port.on('message', (m: GraphCall) => {
  if (m.op === 'search') searches.push(m);
  else calls.push(m);
  schedule();
});

function schedule(): void {
  if (scheduled || (searches.length === 0 && calls.length === 0)) return;
  scheduled = true;
  setImmediate(drain);
}

/**
 * Every waiting search first, then one other call, or the next slice of an add: a search
 * waits for one slice at most, however many writes are queued. Each search call is answered
 * as soon as it is done, so the event loop takes up its answers while the next call runs.
 */
function drain(): void {
  scheduled = false;
  for (const m of searches.splice(0)) searchOne(m);
  const call = calls[0];
  if (call && !(call.op === 'add' && addNextSlice(call))) {
    calls.shift();
    answer(call.id, () => run(call));
  }
  schedule();
}

/** One call's searches as one native batch, answered packed. */
function searchOne(m: Search): void {
  priority.raise();
  try {
    const d = config.dimensions;
    const queries = Array.from(m.ks, (k, i) => ({
      query: m.queries.subarray(i * d, (i + 1) * d),
      k,
    }));
    const packed = packMatches(searchBatch(index, queries, batchThreads));
    reply({ id: m.id, value: packed }, [
      packed.keys.buffer as ArrayBuffer,
      packed.distances.buffer as ArrayBuffer,
    ]);
  } catch (err) {
    reply({ id: m.id, error: messageOf(err) });
  } finally {
    priority.lower();
  }
}

/** Adds the first slice of a larger add and keeps the rest queued; false when one slice is left. */
function addNextSlice(m: Add): boolean {
  if (m.keys.length <= addSlice) return false;
  try {
    const vectors = m.vectors.subarray(0, addSlice * config.dimensions);
    index.add(m.keys.subarray(0, addSlice), vectors, m.threads);
    m.keys = m.keys.subarray(addSlice);
    m.vectors = m.vectors.subarray(addSlice * config.dimensions);
  } catch (err) {
    calls[0] = { op: 'failed', id: m.id, error: messageOf(err) };
  }
  return true;
}

function run(m: Other): unknown {
  switch (m.op) {
    case 'add':
      return index.add(m.keys, m.vectors, m.threads);
    case 'remove':
      return void index.remove(m.keys);
    case 'contains':
      return [index.contains(m.keys)].flat();
    case 'size':
      return index.size();
    case 'dimensions':
      return index.dimensions();
    case 'save':
      return index.save(m.path);
    case 'load':
      return index.load(m.path);
    case 'view':
      return index.view(m.path);
    case 'failed':
      throw new Error(m.error);
  }
}

const messageOf = (err: unknown) => String((err as Error | undefined)?.message ?? err);

function answer(id: number, value: () => unknown): void {
  try {
    reply({ id, value: value() });
  } catch (err) {
    reply({ id, error: messageOf(err) });
  }
}

const reply = (r: GraphReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);
