import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HASHING_MODEL } from '../../../embedding/hashing-embedder';
import { HotStore } from '../../../storage/hot-store';
import { openObjectStore, TierMover, type ObjectStore } from '../../../storage/tiers';
import { ColdReadLimitError } from '../../../storage/tiers/cold-limits';
import { ColdStore } from '../../../storage/tiers/cold-store';
import { countsBySystem } from '../../../storage/tiers/tier-counts';
import { findMemory } from '../../../storage/lookup';
import { startTestS3, type TestS3 } from '../../helpers/s3';
import { waitFor } from '../../helpers/wait-for';

let s3: TestS3;
let dir: string;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3.stop();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-cold-limits-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const s3Objects = (endpoint = s3.endpoint): ObjectStore =>
  openObjectStore({
    localDir: join(dir, 'cold'),
    s3: {
      bucket: s3.bucket,
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
  });

/** Cold objects of a system, one per day, `rows` rows each in their metadata. */
async function putObjects(store: ObjectStore, system: string, count: number, rows = 3) {
  for (let d = 1; d <= count; d++) {
    const day = `2026/01/${String(d).padStart(2, '0')}`;
    await store.put(`conversations/${system}/${day}/m${d}.parquet`, Buffer.from('x'), {
      rows: String(rows),
    });
  }
}

const vector = new Float32Array(384).fill(1 / Math.sqrt(384));
const searchOpts = (systemId: string) => ({ limit: 5, systemId, filter: {}, model: HASHING_MODEL });

async function openTiers(limits: { maxObjects: number; timeoutMs: number; countsTtlMs: number }) {
  const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
  const mover = await TierMover.open(hot, {
    warmDir: join(dir, 'warm'),
    objects: s3Objects(),
    coldReads: limits,
  });
  return { hot, mover, close: async () => (await mover.close(), await hot.close()) };
}

describe('cold reads are capped', () => {
  it('refuses a search or a lookup over more objects than allowed, naming no key', async () => {
    const system = `capped-${Date.now()}`;
    await putObjects(s3Objects(), system, 5);
    const { hot, mover, close } = await openTiers({
      maxObjects: 4,
      timeoutMs: 5000,
      countsTtlMs: 0,
    });
    try {
      const conn = await hot.connect();
      try {
        const search = mover.cold.search(conn, vector, searchOpts(system));
        await expect(search).rejects.toBeInstanceOf(ColdReadLimitError);
        await expect(search).rejects.toMatchObject({
          reason: 'cold_read_limit',
          message: expect.not.stringContaining('.parquet'),
        });
      } finally {
        conn.closeSync();
      }
      // the lookup reads the newest 4 (not Parquet here: their scan fails) before giving up
      await expect(findMemory(hot, mover, system, 'r1')).rejects.toThrow();
    } finally {
      await close();
    }
  });

  it('reuses cold counts for the TTL, and drops them when this process writes', async () => {
    const system = `counted-${Date.now()}`;
    const { hot, mover, close } = await openTiers({
      maxObjects: 64,
      timeoutMs: 5000,
      countsTtlMs: 60_000,
    });
    try {
      await putObjects(s3Objects(), system, 2); // written by another process
      expect((await countsBySystem(hot, mover, system)).get(system)?.cold).toBe(6);
      await s3Objects().put(`conversations/${system}/2026/02/01/x.parquet`, Buffer.from('x'), {
        rows: '4',
      });
      expect((await countsBySystem(hot, mover, system)).get(system)?.cold).toBe(6); // cached
      await mover.cold.objects.put(
        `conversations/${system}/2026/02/02/y.parquet`,
        Buffer.from('y'),
        {
          rows: '5',
        },
      );
      expect((await countsBySystem(hot, mover, system)).get(system)?.cold).toBe(15);
    } finally {
      await close();
    }
  });
});

/** A TCP proxy to s3rver that holds every answer: records when the client gives up. */
async function stallingProxy(
  target: URL,
): Promise<{ endpoint: string; closed: () => number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let closedByClient = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    client.pipe(upstream); // requests go through; answers never come back
    client.on('close', () => {
      closedByClient++;
      upstream.destroy();
    });
    upstream.on('error', () => undefined);
    client.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    closed: () => closedByClient,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('cold read timeout', () => {
  it('aborts the S3 transfer itself: the connection is closed, the search fails in time', async () => {
    const system = `stalled-${Date.now()}`;
    await putObjects(s3Objects(), system, 2);
    const proxy = await stallingProxy(new URL(s3.endpoint));
    const direct = s3Objects();
    const stalled = s3Objects(proxy.endpoint);
    // listing answers; the object reads go through the stalling proxy
    const objects: ObjectStore = { ...direct, get: (key, opts) => stalled.get(key, opts) };
    objects.list = (p) => direct.list(p);
    const cold = new ColdStore(objects, 8, { maxObjects: 64, timeoutMs: 300, countsTtlMs: 0 });
    const hot = await HotStore.open(join(dir, 'hot'), { concurrency: 2, model: HASHING_MODEL });
    const conn = await hot.connect();
    try {
      const started = performance.now();
      await expect(cold.search(conn, vector, searchOpts(system))).rejects.toMatchObject({
        reason: 'cold_read_timeout',
      });
      expect(performance.now() - started).toBeLessThan(5000);
      await waitFor(() => proxy.closed() >= 1, { timeoutMs: 10_000, what: 'aborted connection' });
    } finally {
      conn.closeSync();
      await hot.close();
      await proxy.stop();
    }
  });
});
