import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Runs exit-child.ts; resolves with how it ended and after how long. */
function runChild(worker: 'idle' | 'stuck', exitCode: number) {
  const child = spawn(
    process.execPath,
    ['-e', "require('tsx/cjs'); require('./tests/infra/exit-child.ts')"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AKOSHA_TEST_WORKER: worker,
        AKOSHA_TEST_EXIT_CODE: String(exitCode),
        AKOSHA_TEST_READY: join(dir, 'ready'),
      },
      stdio: 'ignore',
      detached: true, // its own process group: the stuck worker's shell is killed after
    },
  );
  const started = Date.now();
  return new Promise<{ code: number | null; signal: string | null; ms: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      killGroup(child.pid!);
      resolve({ code, signal, ms: Date.now() - started });
    }),
  );
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // nothing left in it
  }
}

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'akosha-exit-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('exitProcess', () => {
  it('exits with the code once its worker threads stopped', async () => {
    const ended = await runChild('idle', 3);
    expect(ended).toMatchObject({ code: 3, signal: null });
  });

  it('leaves by SIGTERM when a worker thread cannot be stopped, instead of waiting for it', async () => {
    const ended = await runChild('stuck', 0);
    expect(ended).toMatchObject({ code: null, signal: 'SIGTERM' });
    // the stuck worker's call lasts 20 s; process.exit alone would have waited for it
    expect(ended.ms).toBeLessThan(15_000);
  });
});
