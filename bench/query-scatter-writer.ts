/**
 * One writer process of bench/query-scatter.ts: opens its half of the data set, claims its
 * shard groups and serves its query endpoints (and a bare echo subject, the NATS round trip
 * alone) until told to stop; then reports each step of its search requests (what it spends per
 * request) and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { QueryEndpoint, type EndpointTiming } from '../api/remote/query-endpoint';
import { SearchService } from '../api/search';
import { WriterLease } from '../app/writer-lease';
import { HashingEmbedder } from '../embedding/hashing-embedder';
import { createLogger } from '../infra/logger';
import { shardsOfGroup } from '../streams/subjects';
import { EMBEDDER, openDataSet, type DataSetSpec } from './query-data';

export interface WriterJob {
  url: string;
  spec: Omit<DataSetSpec, 'part'> & { part: { name: string } };
  groups: number[];
  groupCount: number;
  /** answers empty requests here with an empty reply */
  echoSubject: string;
}

/** Each step of every search request the writer answered, in order, in ms. */
export interface WriterSteps {
  owner: string;
  parse: number[];
  search: number[];
  reply: number[];
}

const log = createLogger('warn');

/** The search endpoint's steps, as the endpoint times them. */
class StepTimes {
  readonly parse: number[] = [];
  readonly search: number[] = [];
  readonly reply: number[] = [];

  readonly observe = (t: EndpointTiming): void => {
    if (t.endpoint !== 'search') return;
    this.parse.push(t.parseMs);
    this.search.push(t.runMs);
    this.reply.push(t.replyMs);
  };

  reset(): void {
    this.parse.length = this.search.length = this.reply.length = 0;
  }
}

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
  nc.subscribe(job.echoSubject, { callback: (_err, msg) => void msg.respond() });
  const times = new StepTimes();
  const endpoint = new QueryEndpoint({
    nc,
    maxReplyBytes: nc.info?.max_payload ?? 1 << 20,
    log,
    observe: times.observe,
    sources: {
      owner: lease.owner,
      groups: job.groups,
      shards,
      search: new SearchService(store, new HashingEmbedder(), { partTimeoutMs: 2000 }),
      embedder: EMBEDDER,
      store,
      ready: () => true,
    },
  });
  await endpoint.start();
  process.send!('ready');
  process.on('message', (m) => {
    if (m === 'reset') times.reset();
    if (m !== 'stop') return;
    const { parse, search, reply } = times;
    const steps: WriterSteps = { owner: lease.owner, parse, search, reply };
    void (async () => {
      await endpoint.stop();
      await nc.close();
      await lease.release();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      process.send!(steps, () => process.exit(0));
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
