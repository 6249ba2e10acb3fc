import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeUpload } from '../consumers';
import type { HotStore, IncompleteUpload, TierKeys, TierMover } from '../storage';
import { openStreamReader, STREAM } from '../streams';
import { uploadsFilter } from './upload-filter';

export interface KeySetSummary {
  count: number;
  /** sum of the first 8 bytes of sha256(key) as uint64, mod 2^64, hex: order-independent */
  hash: string;
}

export interface ShardVerification {
  shard: number;
  stream: KeySetSummary;
  store: KeySetSummary;
  ok: boolean;
  /** a few keys the stream would store that the shard lacks */
  missing: string[];
  /** a few keys the shard holds that the stream would not store */
  extra: string[];
  /** keys held per tier (hot only when verified without the tiers) */
  tiers: { hot: number; warm: number; cold: number };
  /** a few keys held more than once over the tiers */
  duplicated: string[];
  /** cold objects that could not be read (their keys count as missing) */
  unreadable: string[];
}

export interface VerifyReport {
  shards: ShardVerification[];
  /** shards whose key sets differ */
  drift: number[];
  /**
   * uploads partly written and never whole (a producer that died after part 0): their
   * records are stored, their ingest-complete event is due once the rest arrives
   */
  incomplete: (IncompleteUpload & { shard: number })[];
  ok: boolean;
}

export interface VerifyOptions {
  nc: NatsConnection;
  store: HotStore;
  /** when given, warm and cold are verified too (a record that aged is not drift) */
  mover?: TierMover | undefined;
  maxMessageBytes: number;
  shard?: number | undefined;
  /** example keys listed per side of a drifting shard; default 5 */
  examples?: number | undefined;
}

/**
 * Compares, per shard, the record keys (system_id/id) that the valid uploads in
 * AKOSHA_UPLOADS would store — under the writer's dedupe rule, in stream order —
 * with the keys the shard holds over hot, warm and cold (hot only without a mover),
 * each of which must be held once. Uploads older than the stream's max age are gone
 * from the stream, so their records show up as "extra"; records past the tiers'
 * retention show up as "missing".
 */
export async function verifyShards(opts: VerifyOptions): Promise<VerifyReport> {
  const expected = await expectedKeys(opts);
  const shards =
    opts.shard === undefined
      ? [
          ...new Set([
            ...expected.keys(),
            ...opts.store.shards,
            ...(opts.mover?.warm.shards ?? []),
          ]),
        ].sort((a, b) => a - b)
      : [opts.shard];
  const held = await heldKeys(opts, shards);
  const results = shards.map((shard) =>
    compare(shard, expected.get(shard) ?? new Set(), held.get(shard)!, opts.examples ?? 5),
  );
  const drift = results.filter((r) => !r.ok).map((r) => r.shard);
  const incomplete = await incompleteUploads(opts.store, shards);
  return { shards: results, drift, incomplete, ok: drift.length === 0 };
}

/** Replays the writer's rule: a record is a duplicate of an earlier one with the same key or content. */
async function expectedKeys(opts: VerifyOptions): Promise<Map<number, Set<string>>> {
  const reader = await openStreamReader(opts.nc, STREAM.uploads, {
    filter: uploadsFilter({ shard: opts.shard }),
  });
  const byShard = new Map<number, Set<string>>();
  const contents = new Set<string>();
  const parts = new Set<string>();
  for await (const batch of reader.batches(256)) {
    for (const msg of batch) {
      let upload;
      try {
        upload = decodeUpload(msg.subject, msg.data, opts.maxMessageBytes);
      } catch {
        continue;
      }
      const { system_id: system, upload_id: uploadId, part } = upload.envelope;
      // a part seen before is a redelivery to the writer: recognised, not written again
      // (a part of another split of the upload is another part: its records dedupe by key)
      const partKey = `${system}\u001f${uploadId}\u001f${part.index}/${part.count}`;
      if (parts.has(partKey)) continue;
      parts.add(partKey);
      const keys = byShard.get(upload.shard) ?? new Set<string>();
      byShard.set(upload.shard, keys);
      for (const { record } of upload.records) {
        const key = `${system}/${record.id}`;
        const content = `${system}\u001f${sha256(record.content)}`;
        if (keys.has(key) || contents.has(content)) continue;
        keys.add(key);
        contents.add(content);
      }
    }
  }
  return byShard;
}

async function incompleteUploads(store: HotStore, shards: number[]) {
  const now = new Date();
  const lists = await Promise.all(
    shards.map(async (shard) =>
      (await store.incompleteUploads(shard, now)).map((u) => ({ shard, ...u })),
    ),
  );
  return lists.flat();
}

async function heldKeys(opts: VerifyOptions, shards: number[]): Promise<Map<number, TierKeys>> {
  if (opts.mover) return opts.mover.keysByTier(shards);
  const held = new Map<number, TierKeys>();
  for (const shard of shards)
    held.set(shard, { hot: await opts.store.keys(shard), warm: [], cold: [], unreadable: [] });
  return held;
}

function compare(
  shard: number,
  expected: Set<string>,
  held: TierKeys,
  examples: number,
): ShardVerification {
  const all = [...held.hot, ...held.warm, ...held.cold];
  const actual = new Set(all);
  const seen = new Set<string>();
  const duplicated = new Set(all.filter((k) => seen.has(k) || !seen.add(k)));
  const missing = [...expected].filter((k) => !actual.has(k));
  const extra = [...actual].filter((k) => !expected.has(k));
  return {
    shard,
    stream: summariseKeys(expected),
    store: summariseKeys(actual),
    ok: missing.length + extra.length + duplicated.size + held.unreadable.length === 0,
    missing: missing.sort().slice(0, examples),
    extra: extra.sort().slice(0, examples),
    tiers: { hot: held.hot.length, warm: held.warm.length, cold: held.cold.length },
    duplicated: [...duplicated].sort().slice(0, examples),
    unreadable: held.unreadable.slice(0, examples),
  };
}

const MASK64 = (1n << 64n) - 1n;

export function summariseKeys(keys: Iterable<string>): KeySetSummary {
  let sum = 0n;
  let count = 0;
  for (const key of keys) {
    sum = (sum + createHash('sha256').update(key, 'utf8').digest().readBigUInt64BE(0)) & MASK64;
    count++;
  }
  return { count, hash: sum.toString(16).padStart(16, '0') };
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
