import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../infra/config';
import { connectOrStartNats } from '../../infra/nats';
import { localServerVersion, NATS_CONF } from '../../infra/nats-server';
import {
  localServerAccepts,
  natsSyncStatus,
  versionHasSyncInterval,
  withSyncAlways,
} from '../../infra/nats-sync';
import { startTestNats, type TestNats } from '../helpers/nats';
import { startTestPipeline, testConfig } from '../helpers/pipeline';

const shipped = readFileSync(NATS_CONF, 'utf8');
const installed = localServerVersion();
const installedHasSync = versionHasSyncInterval(installed);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('AKOSHA_NATS_SYNC', () => {
  it('adds sync_interval: always inside the jetstream block, which only 2.10+ accepts', () => {
    const always = withSyncAlways(shipped);
    expect(always).toMatch(/^jetstream \{\n {2}sync_interval: always\n/m);
    expect(localServerAccepts(shipped)).toBe(true);
    expect(localServerAccepts(always)).toBe(installedHasSync);
  });

  it('says what is in force and warns whenever always is asked for and not known to hold', () => {
    expect(natsSyncStatus('default', '2.9.10', undefined)).toEqual({
      requested: 'default',
      effective: 'default',
      serverVersion: '2.9.10',
    });
    expect(natsSyncStatus('always', '2.10.4', { syncAlways: true }).effective).toBe('always');
    const old = natsSyncStatus('always', '2.9.10', undefined);
    expect(old).toMatchObject({ effective: 'default', warning: expect.stringMatching(/2\.10/) });
    const remote = natsSyncStatus('always', '2.11.0', undefined);
    expect(remote).toMatchObject({ effective: 'unverified', warning: expect.any(String) });
  });

  it('a local server started with always uses it where it can, and warns where it cannot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'akosha-sync-'));
    const warnings: { msg: string }[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => warnings.push(JSON.parse(l)) });
    const url = `nats://127.0.0.1:${await freePort()}`;
    const config = {
      ...loadConfig({ AKOSHA_NATS_URL: url, AKOSHA_NATS_SYNC: 'always' }).nats,
      storeDir: join(dir, 'nats'),
    };
    const handle = await connectOrStartNats(config, log);
    try {
      expect(handle.local?.syncAlways).toBe(installedHasSync);
      expect(handle.sync).toMatchObject({
        requested: 'always',
        effective: installedHasSync ? 'always' : 'default',
        serverVersion: installed,
      });
      expect(warnings.some((w) => /sync_interval/.test(w.msg))).toBe(!installedHasSync);
    } finally {
      await handle.nc.close();
      await handle.local?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('against a server Akosha did not start', () => {
    let nats: TestNats;
    beforeAll(async () => {
      nats = await startTestNats();
    });
    afterAll(() => nats.stop());

    it('shows the requested and effective setting in readiness', async () => {
      const pipeline = await startTestPipeline(
        testConfig(nats.url, { AKOSHA_NATS_SYNC: 'always' }),
        ['ingest'],
      );
      try {
        expect(pipeline.readiness().natsSync).toMatchObject({
          requested: 'always',
          effective: installedHasSync ? 'unverified' : 'default',
          serverVersion: installed,
          warning: expect.any(String),
        });
      } finally {
        await pipeline.close();
      }
    });
  });
});
