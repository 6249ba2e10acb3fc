import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { workerThreadCode } from '../../infra/entry-files';
import { loadConfig } from '../../infra/config';

/** Starts a thread that calls lowerThreadPriority(nice); its nice value as it sees it. */
function niceOfThread(nice: number): Promise<{ returned: number; seen: number }> {
  const worker = new Worker(workerThreadCode(join(__dirname, 'fixtures'), 'nice-thread'), {
    eval: true,
    workerData: nice,
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { returned: number; seen: number }) => {
      void worker.terminate();
      resolve(m);
    });
    worker.once('error', reject);
  });
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

describe('AKOSHA_EMBEDDING_NICE', () => {
  it('defaults to 10 and is configurable from 0 to 19', () => {
    expect(loadConfig({}).embedder.nice).toBe(10);
    expect(loadConfig({ AKOSHA_EMBEDDING_NICE: '0' }).embedder.nice).toBe(0);
    expect(() => loadConfig({ AKOSHA_EMBEDDING_NICE: '20' })).toThrow(/AKOSHA_EMBEDDING_NICE/);
  });
});
