/**
 * One writer process of bench/query-scatter.ts: opens its half of the data set, claims its
 * shard groups and serves its query endpoints until told to stop; then reports the p50 of its
 * own searches (what it spends per request) and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { QueryEndpoint } from '../api/remote/query-endpoint';
import { SearchService, type VectorSearch } from '../api/search';
import { WriterLease } from '../app/writer-lease';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { createLogger } from '../infra/logger';
import { shardsOfGroup } from '../streams/subjects';
import { percentile } from './lib';
import { EMBEDDER, openDataSet, type DataSetSpec } from './query-data';

export interface WriterJob {
  url: string;
  spec: Omit<DataSetSpec, 'part'> & { part: { name: string } };
  groups: number[];
  groupCount: number;
}

const log = createLogger('warn');

async function serve(job: WriterJob): Promise<void> {
  const shards = new Set(job.groups.flatMap((g) => shardsOfGroup(g, job.groupCount)));
  const spec = {
    ...job.spec,
    part: { name: job.spec.part.name, shards: (s: number) => shards.has(s) },
  };
  const { store } = await openDataSet(spec, new Float32Array(0)); // built by the parent
  const dir = mkdtempSync(join(tmpdir(), 'bench-writer-'));
  const lease = await WriterLease.claim({
    servers: job.url,
    groups: job.groups,
    hotDir: dir,
    ttlMs: 30_000,
    renewEveryMs: 5000,
    log,
  });
  const nc = await connect({ servers: job.url });
  const times: number[] = [];
  const own = new SearchService(store, new HashingEmbedder(), { partTimeoutMs: 2000 });
  const search: VectorSearch = {
    searchVector: async (vector, req, scope) => {
      const t = performance.now();
      const found = await own.searchVector(vector, req, scope);
      times.push(performance.now() - t);
      return found;
    },
  };
  const endpoint = new QueryEndpoint({
    nc,
    maxReplyBytes: nc.info?.max_payload ?? 1 << 20,
    log,
    sources: {
      owner: lease.owner,
      groups: job.groups,
      shards,
      search,
      embedder: EMBEDDER,
      store,
      ready: () => true,
    },
  });
  await endpoint.start();
  process.send!('ready');
  process.on('message', (m) => {
    if (m === 'reset') times.length = 0;
    if (m !== 'stop') return;
    const p50 = percentile(
      [...times].sort((a, b) => a - b),
      50,
    );
    void (async () => {
      await endpoint.stop();
      await nc.close();
      await lease.release();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      process.send!({ searchP50: p50, searches: times.length }, () => process.exit(0));
    })();
  });
}

process.once(
  'message',
  (job) =>
    void serve(job as WriterJob).catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    }),
);
