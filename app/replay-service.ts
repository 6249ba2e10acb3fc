import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Embedder } from '../embedding';
import type { Logger } from '../infra';
import { replayUploads } from '../operations';
import { type ReplayReply, ReplayRequest, shardOf } from '../schemas';
import type { HotStore } from '../storage';
import { groupOfShard, subjects } from '../streams';

export interface ReplayServiceDeps {
  nc: NatsConnection;
  store: HotStore;
  embedder: Embedder;
  /** the groups this writer owns, of AKOSHA_SHARD_GROUPS */
  groups: number[];
  shardGroups: number;
  maxMessageBytes: number;
  /** the writer lease: no replay starts, and none commits, once it does not hold */
  fence: () => boolean;
  log: Logger;
}

/**
 * Serves `akosha replay --online` for the groups this writer owns: the replay runs in
 * this process, into its own open store, so the vector index and the in-memory rows
 * learn the records it stores (an offline replay can't run while the writer does).
 * One replay at a time; its writes take turns with the live ones shard by shard.
 */
export class OnlineReplayService {
  private readonly subs: Subscription[] = [];
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: ReplayServiceDeps) {}

  start(): void {
    for (const group of this.deps.groups) {
      const sub = this.deps.nc.subscribe(subjects.replayRequest(group), {
        callback: (_err, msg) => void this.answer(group, msg),
      });
      this.subs.push(sub);
    }
  }

  /** Takes no more requests; waits for the replay that runs, if any. */
  async stop(): Promise<void> {
    for (const sub of this.subs.splice(0)) sub.unsubscribe();
    await this.running?.catch(() => undefined);
  }

  private async answer(group: number, msg: Msg): Promise<void> {
    const reply: ReplayReply = await this.replay(group, msg.data).catch((err: unknown) => ({
      ok: false as const,
      error: (err as Error).message,
    }));
    if (!reply.ok) this.deps.log.warn({ group, error: reply.error }, 'online replay not done');
    msg.respond(JSON.stringify(reply));
  }

  private async replay(group: number, data: Uint8Array): Promise<ReplayReply> {
    const parsed = ReplayRequest.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    if (!parsed.success) return { ok: false, error: parsed.error.issues[0]!.message };
    const request = parsed.data;
    const shard = request.shard ?? shardOf(request.system_id!);
    if (groupOfShard(shard, this.deps.shardGroups) !== group)
      return { ok: false, error: `shard ${shard} is not in shard group ${group}` };
    if (!this.deps.fence()) return { ok: false, error: 'this writer no longer holds its lease' };
    if (this.running) return { ok: false, error: 'a replay runs on this writer: try again later' };
    this.deps.log.info({ request }, 'online replay started');
    this.running = this.run(request);
    try {
      return { ok: true, summary: await this.running };
    } finally {
      this.running = undefined;
    }
  }

  private run(request: ReplayRequest) {
    const { nc, maxMessageBytes } = this.deps;
    return replayUploads({
      nc,
      store: this.deps.store,
      embedder: this.deps.embedder,
      maxMessageBytes,
      chunkMaxBytes: Math.min(nc.info?.max_payload ?? 1024 * 1024, maxMessageBytes),
      shard: request.shard,
      systemId: request.system_id,
      fromSeq: request.from_seq,
      since: request.since === undefined ? undefined : new Date(request.since),
      batchBytes: request.batch_bytes,
      fence: this.deps.fence,
    });
  }
}
