import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { shardOf } from '../../../schemas/ids';
import { HotStore } from '../../../storage/hot-store';
import { sha256Hex } from '../../../storage/tiers/cold-store';
import {
  openObjectStore,
  TierMover,
  TierMoveError,
  type ObjectStore,
} from '../../../storage/tiers';
import type { MoveKind, MovePoint } from '../../../storage/tiers';
import { warmDbName } from '../../../storage/tiers/warm-store';
import { startTestS3, type TestS3 } from '../../helpers/s3';
import { SEED_DAYS, SEED_START, seedHot } from './fixtures';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';

const START = SEED_START;

const ROOT = join(__dirname, '..', '..', '..');
const SYSTEMS = ['system-1', 'system-2'];

const WARM_CUTOFF = new Date('2026-01-04T00:00:00Z');
const COLD_CUTOFF = new Date('2026-01-03T00:00:00Z');

let s3: TestS3;
let dir: string;

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-tiers-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Each test gets its own key prefix space: a fresh bucket directory is not needed as keys differ by move id, but listing must only see this test's objects. */
async function emptyBucket(): Promise<void> {
  const store = objects();
  for (const key of await store.list('')) await store.delete(key);
}

const objects = () =>
  openObjectStore({
    localDir: join(dir, 'cold'),
    s3: {
      bucket: s3.bucket,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
  });

async function open(
  onPoint?: (move: MoveKind, point: MovePoint) => void | Promise<void>,
): Promise<{ hot: HotStore; mover: TierMover; close: () => Promise<void> }> {
  const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
  const mover = await TierMover.open(hot, {
    warmDir: join(dir, 'warm'),
    objects: objects(),
    ...(onPoint ? { onPoint } : {}),
  });
  return {
    hot,
    mover,
    close: async () => {
      await mover.close();
      await hot.close();
    },
  };
}

async function seed(hot: HotStore, perSystem = 200): Promise<string[]> {
  const keys = await seedHot(hot, {
    systems: SYSTEMS,
    perSystem,
    start: SEED_START,
    days: SEED_DAYS,
  });
  return [...keys.values()].flat().sort();
}

/** Every key in every tier, with the tier; a key twice means a duplicate. */
async function everywhere(hot: HotStore, mover: TierMover) {
  const hotKeys = (await Promise.all(hot.shards.map((s) => hot.keys(s)))).flat();
  const warmKeys = (await Promise.all(mover.warm.shards.map((s) => mover.warm.keys(s)))).flat();
  const coldKeys: string[] = [];
  const objectKeys = await mover.cold.objects.list('');
  if (objectKeys.length > 0) {
    const tmp = await mover.cold.tempDir();
    try {
      const files = await mover.cold.download(
        'test',
        objectKeys.map((key) => ({ key })),
        tmp,
      );
      await mover.tiers.withConnection(async (conn) => {
        const reader = await conn.runAndReadAll(
          `SELECT system_id || '/' || id AS k FROM read_parquet([${files.map((f) => `'${f.path}'`).join(', ')}])`,
        );
        for (const r of reader.getRowObjectsJS()) coldKeys.push(String(r.k));
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  const all = [...hotKeys, ...warmKeys, ...coldKeys].sort();
  return { hot: hotKeys, warm: warmKeys, cold: coldKeys, all, objects: objectKeys };
}

async function journal(mover: TierMover, shard: number) {
  return mover.tiers.withConnection(async (conn) => {
    const reader = await conn.runAndReadAll(
      `SELECT move_id, from_tier, to_tier, phase, error FROM ${warmDbName(shard)}.tier_moves ORDER BY started_at`,
    );
    return reader.getRowObjectsJS();
  });
}

describe('tier moves', () => {
  beforeEach(emptyBucket);

  test('hot → warm → cold → restore keeps every record exactly once', async () => {
    const { hot, mover, close } = await open();
    try {
      const original = await seed(hot);
      const shards = SYSTEMS.map(shardOf);

      for (const shard of shards) {
        const r = await mover.moveHotToWarm(shard, WARM_CUTOFF);
        expect(r.records).toBe(100);
      }
      let where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      expect(where.hot).toHaveLength(200);
      expect(where.warm).toHaveLength(200);

      // warm keeps a short summary and int8 vectors that still find the record
      const warmHit = await mover.tiers.withConnection(async (conn) => {
        const reader = await conn.runAndReadAll(
          `SELECT length(summary) AS n, content_chars FROM ${warmDbName(shards[0]!)}.records LIMIT 1`,
        );
        return reader.getRowObjectsJS()[0]!;
      });
      expect(Number(warmHit.n)).toBeLessThanOrEqual(200);
      expect(Number(warmHit.content_chars)).toBeGreaterThan(400);

      for (const shard of shards) {
        const r = await mover.moveWarmToCold(shard, COLD_CUTOFF);
        expect(r.records).toBe(67);
        expect(r.objects).toBeGreaterThan(0);
      }
      where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      expect(where.cold).toHaveLength(134);
      expect(
        where.objects.every((k) =>
          /^(conversations|reflections)\/system-\d\/2026\/01\/0[12]\/wc-\d{3}-[\w-]+\.parquet$/.test(
            k,
          ),
        ),
      ).toBe(true);
      const meta = await mover.cold.objects.head(where.objects[0]!);
      expect(meta).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(Number(meta!.rows)).toBeGreaterThan(0);

      // idempotent: nothing more to move
      expect((await mover.moveHotToWarm(shards[0]!, WARM_CUTOFF)).records).toBe(0);
      expect((await mover.moveWarmToCold(shards[0]!, COLD_CUTOFF)).records).toBe(0);

      for (const system of SYSTEMS) {
        const r = await mover.restore(system);
        expect(r.fromWarm + r.fromCold).toBe(100);
      }
      where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      expect(where.hot).toHaveLength(400);
      expect(where.objects).toHaveLength(0);
      for (const shard of shards)
        expect((await journal(mover, shard)).every((m) => m.phase === 'deleted')).toBe(true);
    } finally {
      await close();
    }
  });

  test('warm and cold stay searchable', async () => {
    const { hot, mover, close } = await open();
    try {
      await seed(hot, 50);
      const shard = shardOf('system-1');
      const [probe] = await hot.searchIndex(new Float32Array(384).fill(0.05), {
        limit: 1,
        systemId: 'system-1',
      });
      await mover.moveHotToWarm(shard, new Date('2027-01-01T00:00:00Z'));
      const vector = await mover.tiers.withConnection(async (conn) => {
        const reader = await conn.runAndReadAll(
          `SELECT list_transform(vec_q::TINYINT[], x -> x * vec_scale / 127) AS v FROM ${warmDbName(shard)}.records WHERE id = '${probe!.id}' AND system_id = 'system-1'`,
        );
        return reader.getRowObjectsJS()[0]!.v as number[];
      });
      const warmHits = await mover.warm.search(Float32Array.from(vector), {
        limit: 1,
        systemId: 'system-1',
      });
      expect(warmHits[0]).toMatchObject({ id: probe!.id, tier: 'warm' });
      expect(warmHits[0]!.similarity).toBeGreaterThan(0.999);

      await mover.moveWarmToCold(shard, new Date('2027-01-01T00:00:00Z'));
      const coldHits = await mover.tiers.withConnection((conn) =>
        mover.cold.search(conn, Float32Array.from(vector), { systemId: 'system-1', limit: 1 }),
      );
      expect(coldHits[0]).toMatchObject({ id: probe!.id, tier: 'cold' });
    } finally {
      await close();
    }
  });

  test('a corrupted cold object is detected on verify and the warm source is kept', async () => {
    let corrupt = true;
    const { hot, mover, close } = await open(async (move, point) => {
      if (!(corrupt && move === 'warm-cold' && point === 'after-copy')) return;
      const store = objects();
      const [key] = await store.list('');
      const got = (await store.get(key!))!;
      const bad = Buffer.from(got.body);
      bad[Math.floor(bad.length / 2)]! ^= 0xff;
      // through the client, keeping the metadata (and its now wrong sha256)
      await s3.client.send(
        new PutObjectCommand({ Bucket: s3.bucket, Key: key!, Body: bad, Metadata: got.metadata }),
      );
      expect(sha256Hex(bad)).not.toBe(got.metadata.sha256);
    });
    try {
      const original = await seed(hot, 100);
      const shard = shardOf('system-1');
      await mover.moveHotToWarm(shard, WARM_CUTOFF);
      const warmBefore = await mover.warm.keys(shard);

      const err = await mover.moveWarmToCold(shard, COLD_CUTOFF).catch((e: unknown) => e);
      if (!(err instanceof TierMoveError)) throw err; // any other failure, with its own message
      expect(err.code).toBe('CHECKSUM_MISMATCH');
      expect(await mover.warm.keys(shard)).toEqual(warmBefore);
      let where = await everywhere(hot, mover);
      expect(where.objects).toHaveLength(0);
      expect(where.all).toEqual(original);
      const moves = await journal(mover, shard);
      expect(moves.at(-1)).toMatchObject({ phase: 'aborted', to_tier: 'cold' });
      expect(String(moves.at(-1)!.error)).toContain('CHECKSUM_MISMATCH');

      corrupt = false;
      const r = await mover.moveWarmToCold(shard, COLD_CUTOFF);
      expect(r.records).toBeGreaterThan(0);
      where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
    } finally {
      await close();
    }
  });

  test('another valid object with its own matching sha256 in the metadata is caught by the journal sha256', async () => {
    let tamper = true;
    const { hot, mover, close } = await open(async (move, point) => {
      if (!(tamper && move === 'warm-cold' && point === 'after-copy')) return;
      const store = objects();
      const keys = await store.list('');
      // swap two objects' bodies, each with a sha256 that matches its new bytes
      const a = (await store.get(keys[0]!))!;
      const b = (await store.get(keys[1]!))!;
      await store.put(keys[0]!, b.body, { ...a.metadata, sha256: sha256Hex(b.body) });
    });
    try {
      const original = await seed(hot, 100);
      const shard = shardOf('system-2');
      await mover.moveHotToWarm(shard, WARM_CUTOFF);
      const err = await mover.moveWarmToCold(shard, COLD_CUTOFF).catch((e: unknown) => e);
      if (!(err instanceof TierMoveError)) throw err; // any other failure, with its own message
      expect(err.code).toBe('CHECKSUM_MISMATCH');
      expect((await everywhere(hot, mover)).all).toEqual(original);
      tamper = false;
      await mover.moveWarmToCold(shard, COLD_CUTOFF);
      expect((await everywhere(hot, mover)).all).toEqual(original);
    } finally {
      await close();
    }
  });

  test('restore since T brings back only the newer warm records; local directory store', async () => {
    const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
    const mover = await TierMover.open(hot, {
      warmDir: join(dir, 'warm'),
      objects: openObjectStore({ localDir: join(dir, 'cold') }),
    });
    try {
      const original = await seed(hot, 60);
      const shard = shardOf('system-1');
      await mover.moveHotToWarm(shard, WARM_CUTOFF);
      await mover.moveWarmToCold(shard, COLD_CUTOFF);
      let where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      expect(where.objects.length).toBeGreaterThan(0);
      expect(
        where.objects.every((k) => k.startsWith('conversations/') || k.startsWith('reflections/')),
      ).toBe(true);

      const since = new Date('2026-01-03T12:00:00Z');
      const r = await mover.restore('system-1', since);
      // warm is exact to the timestamp; cold objects are all before the 3rd
      const expectedWarm = Array.from({ length: 60 }, (_, i) => i).filter((i) => {
        const ts = START.getTime() + Math.floor((6 * 86_400_000 * i) / 60);
        return ts >= since.getTime() && ts < WARM_CUTOFF.getTime();
      }).length;
      expect(r).toMatchObject({ fromWarm: expectedWarm, fromCold: 0 });
      where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      const hotIds = await hot.keys(shard);
      expect(hotIds.length).toBe(60 - 30 + expectedWarm);
    } finally {
      await mover.close();
      await hot.close();
    }
  });

  test('a move that failed on an I/O error is finished by the next move of its shard', async () => {
    const real = objects();
    let failGets = true;
    const flaky: ObjectStore = {
      put: (k, b, m) => real.put(k, b, m),
      get: (k) => (failGets ? Promise.reject(new Error('connection reset')) : real.get(k)),
      head: (k) => real.head(k),
      delete: (k) => real.delete(k),
      list: (p) => real.list(p),
    };
    const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
    const mover = await TierMover.open(hot, { warmDir: join(dir, 'warm'), objects: flaky });
    try {
      const original = await seed(hot, 60);
      const shard = shardOf('system-2');
      await mover.moveHotToWarm(shard, WARM_CUTOFF);
      await expect(mover.moveWarmToCold(shard, COLD_CUTOFF)).rejects.toThrow('connection reset');
      expect((await journal(mover, shard)).at(-1)).toMatchObject({ phase: 'copied' });
      failGets = false;
      // between copy and delete a record may be in two tiers, never in none
      expect([...new Set((await everywhere(hot, mover)).all)].sort()).toEqual(original);
      const r = await mover.moveWarmToCold(shard, COLD_CUTOFF);
      expect(r.records).toBe(0);
      expect((await journal(mover, shard)).map((m) => m.phase)).toEqual(['deleted', 'deleted']);
      const where = await everywhere(hot, mover);
      expect(where.all).toEqual(original);
      expect(where.cold.length).toBeGreaterThan(0);
    } finally {
      await mover.close();
      await hot.close();
    }
  });

  test('deleteExpired removes what is past retention in every tier', async () => {
    const { hot, mover, close } = await open();
    try {
      await seed(hot, 60);
      for (const shard of SYSTEMS.map(shardOf)) {
        await mover.moveHotToWarm(shard, WARM_CUTOFF);
        await mover.moveWarmToCold(shard, COLD_CUTOFF);
      }
      // retention reaching back to 2026-01-02T12:00 keeps day 01-02's object, drops 01-01's
      const r = await mover.deleteExpired(3.5, new Date('2026-01-06T00:00:00Z'));
      expect(r.coldObjects).toBeGreaterThan(0);
      const where = await everywhere(hot, mover);
      expect(where.objects.some((k) => k.includes('/2026/01/01/'))).toBe(false);
      expect(where.objects.some((k) => k.includes('/2026/01/02/'))).toBe(true);
    } finally {
      await close();
    }
  });
});

function runChild(
  op: string,
  crashAt: string,
): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(
    process.execPath,
    ['-e', "require('tsx/cjs'); require('./tests/storage/tiers/mover-child.ts')"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        AKOSHA_TEST_DIR: dir,
        AKOSHA_TEST_S3_ENDPOINT: s3.endpoint,
        AKOSHA_TEST_S3_BUCKET: s3.bucket,
        AKOSHA_TEST_OP: op,
        AKOSHA_TEST_CRASH_AT: crashAt,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('a move killed with SIGKILL is finished or rolled back by recover()', () => {
  beforeEach(emptyBucket);

  const cases: { crashAt: string; prepare: string[]; op: (shard: number) => string }[] = [
    { crashAt: 'hot-warm:after-copy', prepare: [], op: (s) => `hot-warm:${s}:${enc(WARM_CUTOFF)}` },
    {
      crashAt: 'hot-warm:after-verify',
      prepare: [],
      op: (s) => `hot-warm:${s}:${enc(WARM_CUTOFF)}`,
    },
    { crashAt: 'hot-warm:mid-delete', prepare: [], op: (s) => `hot-warm:${s}:${enc(WARM_CUTOFF)}` },
    {
      crashAt: 'warm-cold:mid-copy',
      prepare: ['hot-warm'],
      op: (s) => `warm-cold:${s}:${enc(COLD_CUTOFF)}`,
    },
    {
      crashAt: 'warm-cold:after-copy',
      prepare: ['hot-warm'],
      op: (s) => `warm-cold:${s}:${enc(COLD_CUTOFF)}`,
    },
    {
      crashAt: 'warm-cold:after-verify',
      prepare: ['hot-warm'],
      op: (s) => `warm-cold:${s}:${enc(COLD_CUTOFF)}`,
    },
    {
      crashAt: 'cold-hot:after-copy',
      prepare: ['hot-warm', 'warm-cold'],
      op: () => 'restore:system-1',
    },
    {
      crashAt: 'cold-hot:mid-delete',
      prepare: ['hot-warm', 'warm-cold'],
      op: () => 'restore:system-1',
    },
    {
      crashAt: 'warm-hot:after-verify',
      prepare: ['hot-warm', 'warm-cold'],
      op: () => 'restore:system-1',
    },
  ];

  test.each(cases)('crash at $crashAt', async ({ crashAt, prepare, op }) => {
    const shard = shardOf('system-1');
    // DuckDB keeps a file locked while any connection of its instance lives: the setup
    // runs in a child of its own, like the crashing move.
    const original = SYSTEMS.flatMap((s) =>
      Array.from({ length: 150 }, (_, i) => `${s}/rec-${i}`),
    ).sort();
    const setup = [`seed:150:${SYSTEMS.join(':')}`];
    if (prepare.includes('hot-warm')) setup.push(`hot-warm:${shard}:${enc(WARM_CUTOFF)}`);
    if (prepare.includes('warm-cold')) setup.push(`warm-cold:${shard}:${enc(COLD_CUTOFF)}`);
    expect(await runChild(setup.join(','), '')).toEqual({ code: 0, signal: null });
    const exit = await runChild(op(shard), crashAt);
    expect(exit.signal).toBe('SIGKILL');

    const { hot, mover, close } = await open();
    try {
      // before recovery: every record in at least one tier
      const before = await everywhere(hot, mover);
      expect([...new Set(before.all)].sort()).toEqual(original);
      const report = await mover.recover();
      if (crashAt.endsWith('mid-copy')) expect(report.rolledBack).toHaveLength(1);
      else expect(report.completed).toHaveLength(1);
      expect(await mover.recover()).toEqual({ completed: [], rolledBack: [] });
      expect((await everywhere(hot, mover)).all).toEqual(original);
      // the move again, in-process: still exactly once
      if (op(shard).startsWith('hot-warm')) await mover.moveHotToWarm(shard, WARM_CUTOFF);
      else if (op(shard).startsWith('warm-cold')) await mover.moveWarmToCold(shard, COLD_CUTOFF);
      else await mover.restore('system-1');
      const after = await everywhere(hot, mover);
      expect(after.all).toEqual(original);
      expect(
        (await journal(mover, shard)).every((m) =>
          ['deleted', 'aborted'].includes(String(m.phase)),
        ),
      ).toBe(true);
    } finally {
      await close();
    }
  });
});

const enc = (d: Date) => encodeURIComponent(d.toISOString());
