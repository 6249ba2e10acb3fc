/**
 * Child process of bench/embed.ts in its pinned layout: the bare WorkerPoolEmbedder, built
 * by the pipeline's factory from the pipeline's config, alone in a process that taskset
 * pins to the embed stage's core. Driven over the IPC channel:
 *
 *   → { op: 'start', env, texts, perCall, warmUp }   ← { op: 'ready', tokens, workers }
 *   → { op: 'run' }                          ← { op: 'ran', wallS, cpu }
 *   → { op: 'close' }                        (exits)
 */
import { createEmbedder } from '../embedding/factory';
import { WorkerPoolEmbedder } from '../embedding/worker-pool';
import { loadConfig } from '../infra/config';
import { statCpuS, type BareReply, type BareRequest } from './embed-processes';

let embedder: WorkerPoolEmbedder | undefined;
let pass: (() => Promise<void>) | undefined;

async function start(req: Extract<BareRequest, { op: 'start' }>) {
  const { env, texts, perCall } = req;
  const built = await createEmbedder(loadConfig(env).embedder);
  if (!(built instanceof WorkerPoolEmbedder)) throw new Error('expected a worker pool');
  embedder = built;
  const passOver = async (of: string[]) => {
    for (let i = 0; i < of.length; i += perCall) await built.embed(of.slice(i, i + perCall));
  };
  pass = () => passOver(texts);
  await passOver(texts.slice(0, req.warmUp)); // as the pipeline's warm-up, one upload per system
  const tokens = (await built.countTokens(texts)).reduce((a, b) => a + b + 2, 0);
  return { op: 'ready' as const, tokens, workers: built.size };
}

function cpuNow() {
  const { user, system } = process.cpuUsage();
  return { process: (user + system) / 1e6, main: statCpuS(`/proc/self/task/${process.pid}/stat`) };
}

async function run(): Promise<BareReply> {
  const cpu0 = cpuNow();
  const t0 = performance.now();
  await pass!();
  const wallS = (performance.now() - t0) / 1000;
  const cpu1 = cpuNow();
  return {
    op: 'ran',
    wallS,
    cpu: { process: cpu1.process - cpu0.process, main: cpu1.main - cpu0.main },
  };
}

async function handle(req: BareRequest): Promise<BareReply | undefined> {
  if (req.op === 'start') return start(req);
  if (req.op === 'run') return run();
  await embedder?.close();
  process.exit(0);
}

process.on('message', (req: BareRequest) => {
  handle(req).then(
    (reply) => reply && process.send!(reply),
    (err: unknown) => process.send!({ op: 'error', message: String(err) }),
  );
});
process.on('disconnect', () => process.exit(0));
