import { existsSync } from 'node:fs';
import { WriterLease } from '../../app/writer-lease';
import { createLogger } from '../../infra/logger';
import { publishUpload } from '../../producers/publish-upload';
import { shardOf } from '../../schemas/ids';
import { groupOfShard } from '../../streams/subjects';
import { startTestNatsWithStreams, type TestNats } from '../helpers/nats';
import { testEnv } from '../helpers/pipeline';
import { runAkosha } from '../helpers/processes';
import { record, upload } from '../helpers/uploads';

const SYSTEM = 'guarded-system';
const SHARD = shardOf(SYSTEM);
const GROUPS = 16; // the default AKOSHA_SHARD_GROUPS
const GROUP = groupOfShard(SHARD, GROUPS);
/** a shard of another group, which no writer owns here */
const FREE_SHARD = (SHARD + 256 / GROUPS) % 256;
const WRITER_HOT_DIR = '/srv/akosha-writer-a/hot';

describe('offline commands and writer leases', () => {
  let nats: TestNats;
  let env: Record<string, string>;
  beforeAll(async () => {
    nats = await startTestNatsWithStreams();
    env = testEnv(nats.url);
    const message = upload(SYSTEM, 'guarded-1', [record('m-1', 'a record of the guarded shard')]);
    await publishUpload(nats.js, message, { maxPayloadBytes: 1 << 20 });
  });
  afterAll(() => nats.stop());

  it('refuse the shards a live writer owns, naming it, and run once it is gone', async () => {
    // no writer: replay builds the shard file
    const first = await runAkosha(['replay', '--shard', String(SHARD)], env);
    expect(first).toMatchObject({ code: 0 });
    const shardFile = `${env.AKOSHA_DATA_DIR}/hot/shard-${String(SHARD).padStart(3, '0')}.duckdb`;
    expect(existsSync(shardFile)).toBe(true);

    const lease = await WriterLease.claim({
      servers: nats.url,
      groups: [GROUP],
      hotDir: WRITER_HOT_DIR,
      ttlMs: 60_000,
      renewEveryMs: 20_000,
      log: createLogger('silent'),
    });
    const refused = await Promise.all(
      [
        ['replay', '--shard', String(SHARD)],
        ['replay', '--system', SYSTEM],
        ['replay', '--since', '1d'],
        ['verify', '--shard', String(SHARD)],
        ['restore', '--system', SYSTEM],
        ['reembed'],
      ].map((args) => runAkosha(args, env)),
    );
    for (const [i, result] of refused.entries()) {
      expect({ i, code: result.code }).toEqual({ i, code: 1 });
      expect(result.stderr).toMatch(/^akosha (replay|verify|restore|reembed): refused/);
      expect(result.stderr).toContain(`shard group ${GROUP} (shards `);
      expect(result.stderr).toContain(`writer ${lease.owner}`);
      expect(result.stderr).toContain('Stop that writer first');
    }
    // a shard of a group no writer owns is not refused
    expect(await runAkosha(['replay', '--shard', String(FREE_SHARD)], env)).toMatchObject({
      code: 0,
    });

    await lease.release();
    for (const args of [
      ['verify', '--shard', String(SHARD)],
      ['restore', '--system', SYSTEM],
      ['reembed'],
      ['replay', '--system', SYSTEM],
    ]) {
      const result = await runAkosha(args, env);
      expect({ args, code: result.code, stderr: result.stderr }).toMatchObject({ code: 0 });
    }
  }, 240_000);
});
