/**
 * A process that performs one tier move and kills itself with SIGKILL at a named point.
 * Run: node -e "require('tsx/cjs'); require('./tests/storage/tiers/mover-child.ts')"
 * env: AKOSHA_TEST_DIR (hot/, warm/), AKOSHA_TEST_S3_ENDPOINT, AKOSHA_TEST_S3_BUCKET,
 *      AKOSHA_TEST_OP: comma-separated steps, each `seed:<per system>:<systems …>` |
 *        `hot-warm:<shard>:<iso>` | `warm-cold:<shard>:<iso>` | `restore:<system>`,
 *      AKOSHA_TEST_CRASH_AT (`<move kind>:<point>`, e.g. `hot-warm:after-copy`)
 */
import { join } from 'node:path';
import { HotStore } from '../../../storage/hot-store';
import { openObjectStore, TierMover } from '../../../storage/tiers';
import { SEED_DAYS, SEED_START, seedHot } from './fixtures';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';

async function main(): Promise<void> {
  const dir = process.env.AKOSHA_TEST_DIR!;
  const crashAt = process.env.AKOSHA_TEST_CRASH_AT ?? '';
  const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
  const objects = openObjectStore({
    localDir: join(dir, 'cold'),
    s3: {
      bucket: process.env.AKOSHA_TEST_S3_BUCKET!,
      endpoint: process.env.AKOSHA_TEST_S3_ENDPOINT!,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
  });
  const mover = await TierMover.open(hot, {
    warmDir: join(dir, 'warm'),
    objects,
    onPoint: (move, point) => {
      if (`${move}:${point}` === crashAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  await mover.recover();
  for (const step of (process.env.AKOSHA_TEST_OP ?? '').split(',')) {
    const [op, arg, iso, ...rest] = step.split(':');
    const cutoff = iso ? new Date(decodeURIComponent(iso)) : new Date();
    if (op === 'seed')
      await seedHot(hot, {
        systems: [iso!, ...rest],
        perSystem: Number(arg),
        start: SEED_START,
        days: SEED_DAYS,
      });
    else if (op === 'hot-warm') await mover.moveHotToWarm(Number(arg), cutoff);
    else if (op === 'warm-cold') await mover.moveWarmToCold(Number(arg), cutoff);
    else if (op === 'restore') await mover.restore(arg!);
    else throw new Error(`unknown op ${op}`);
  }
  await mover.close();
  await hot.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
