/**
 * Production runs the compiled JavaScript (npm run build → dist/). The suite runs the
 * TypeScript source, so this file builds once and runs the built CLI, to catch a build that
 * does not compile, misses a file or looks for a .ts entry at run time.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { STREAM } from '../../streams/definitions';
import { ensureModel, TINY_MODEL } from '../fixtures/model/ensure-model';
import { startTestNats, type TestNats } from '../helpers/nats';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'akosha.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const node = (args: string[], env?: Record<string, string>) => run(process.execPath, args, env);

describe('the compiled build', () => {
  beforeAll(async () => {
    // incremental: a few seconds when dist/ is current, so the tests never run stale output
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const build = await node([tsc, '-p', 'tsconfig.build.json']);
    if (build.code !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }, 180_000);

  it('emits the CLI and the worker-thread entries as JavaScript', () => {
    for (const file of [
      'cli/akosha.js',
      'embedding/worker-entry.js',
      'operations/replay-worker-entry.js',
    ])
      expect(existsSync(join(ROOT, 'dist', file))).toBe(true);
  });

  it('bin/akosha.js runs the compiled CLI', async () => {
    const help = await node([BIN, '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: akosha');
    expect(help.stdout).toContain('streams');
  });

  describe('against a nats-server', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startTestNats();
    });
    afterAll(() => nats.stop());

    it('applies the streams with `akosha streams`', async () => {
      const result = await node([BIN, 'streams'], { AKOSHA_NATS_URL: nats.url });
      expect(result).toMatchObject({ code: 0 });
      expect(result.stdout).toContain(STREAM.uploads);
      const jsm = await jetstreamManager(nats.nc);
      expect((await jsm.streams.info(STREAM.uploads)).config.name).toBe(STREAM.uploads);
    });
  });

  it('starts a worker thread from its compiled entry', async () => {
    const script = `
      const { PrepareWorker } = require('./dist/operations/replay-worker.js');
      const worker = PrepareWorker.start();
      worker
        .prepare([], { maxMessageBytes: 1048576, chunkMaxBytes: 1048576 }, true)
        .then((batch) => console.log(JSON.stringify({ messages: batch.messages })))
        .finally(() => worker.close());`;
    const result = await node(['-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ messages: 0 });
  });

  it('embeds in a worker thread started from its compiled entry', async () => {
    const model = ensureModel(TINY_MODEL);
    const script = `
      const { WorkerPoolEmbedder } = require('./dist/embedding/worker-pool.js');
      WorkerPoolEmbedder.start({ model: ${JSON.stringify(model)}, workers: 1 }).then(async (pool) => {
        const [vector] = await pool.embed(['a compiled worker thread']);
        console.log(JSON.stringify({ dimensions: vector.length }));
        await pool.close();
      });`;
    const result = await node(['-e', script]);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({ dimensions: 384 });
  });

  it('finds nats.conf at the package root, not under dist/', async () => {
    const script = `console.log(require('./dist/infra/nats-server.js').NATS_CONF)`;
    const result = await node(['-e', script]);
    expect(result.stdout.trim()).toBe(join(ROOT, 'nats.conf'));
  });

  it('says to run `npm run build` when dist/ is missing', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'akosha-nodist-'));
    try {
      mkdirSync(join(bare, 'bin'));
      copyFileSync(BIN, join(bare, 'bin', 'akosha.js'));
      const result = await node([join(bare, 'bin', 'akosha.js'), '--help']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('npm run build');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
