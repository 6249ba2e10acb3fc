import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { workerThreadCode } from '../../infra/entry-files';
import { setThreadNice } from '../../infra/thread-priority';
import { loadConfig } from '../../infra/config';

interface NiceReport {
  returned: number;
  seen: number;
  tid: number;
}

/** A thread that called lowerThreadPriority(nice), and its first report. */
async function niceThread(nice: number): Promise<{ worker: Worker; first: NiceReport }> {
  const worker = new Worker(workerThreadCode(join(__dirname, 'fixtures'), 'nice-thread'), {
    eval: true,
    workerData: nice,
  });
  return { worker, first: await nextReport(worker) };
}

function nextReport(worker: Worker): Promise<NiceReport> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

/** Its nice value as the thread sees it, after lowerThreadPriority(nice). */
async function niceOfThread(nice: number): Promise<NiceReport> {
  const { worker, first } = await niceThread(nice);
  await worker.terminate();
  return first;
}

const linux = process.platform === 'linux' ? it : it.skip;

describe('lowerThreadPriority', () => {
  const mainNice = getPriority(0);

  linux(
    'lowers only the thread that calls it, not the process',
    async () => {
      const target = Math.min(19, mainNice + 7);
      const { returned, seen } = await niceOfThread(target);
      expect(seen).toBe(target);
      expect(returned).toBe(target);
      expect(getPriority(0)).toBe(mainNice); // the event loop's thread keeps its priority
    },
    30_000,
  );

  it('never raises a thread above its current priority', async () => {
    const { seen } = await niceOfThread(mainNice - 1);
    expect(seen).toBe(mainNice);
  }, 30_000);
});

describe('setThreadNice', () => {
  const mainNice = getPriority(0);
  /** CAP_SYS_NICE (bit 23) among this process's effective capabilities */
  const mayRaise = () => {
    const caps = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
    return (BigInt(`0x${caps}`) & (1n << 23n)) !== 0n;
  };

  linux(
    "sets another thread's nice value by its id, and only where the system allows",
    async () => {
      const { worker, first } = await niceThread(Math.min(19, mainNice + 5));
      expect(first.tid).toBeGreaterThan(0);
      expect(first.tid).not.toBe(process.pid);
      expect(setThreadNice(first.tid, Math.min(19, mainNice + 9))).toBe(true); // lowering: always
      worker.postMessage('report');
      expect((await nextReport(worker)).seen).toBe(Math.min(19, mainNice + 9));
      // raising back needs CAP_SYS_NICE
      const allowed = mayRaise();
      expect(setThreadNice(first.tid, mainNice)).toBe(allowed);
      worker.postMessage('report');
      const seen = (await nextReport(worker)).seen;
      expect(seen).toBe(allowed ? mainNice : Math.min(19, mainNice + 9));
      expect(getPriority(0)).toBe(mainNice);
      await worker.terminate();
    },
    30_000,
  );
});

describe('AKOSHA_EMBEDDING_NICE', () => {
  it('defaults to 10 and is configurable from 0 to 19', () => {
    expect(loadConfig({}).embedder.nice).toBe(10);
    expect(loadConfig({ AKOSHA_EMBEDDING_NICE: '0' }).embedder.nice).toBe(0);
    expect(() => loadConfig({ AKOSHA_EMBEDDING_NICE: '20' })).toThrow(/AKOSHA_EMBEDDING_NICE/);
  });
});
