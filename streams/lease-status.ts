import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { LEASE_BUCKET } from './lease-bucket';

/** The keys of app/writer-lease.ts: `group-<n>` → `<host>:<hot dir>` of the owner. */
const GROUP_KEY = /^group-(\d+)$/;

export interface LeaseStatus {
  group: number;
  owner: string;
  /** last claim or renewal; a lease not renewed within AKOSHA_LEASE_TTL_MS lapses */
  renewed_at: string;
}

/** Every live writer lease (any process's), by group; none while no writer ever ran. */
export async function writerLeases(
  js: JetStreamClient,
  jsm: JetStreamManager,
): Promise<LeaseStatus[]> {
  try {
    await jsm.streams.info(`KV_${LEASE_BUCKET}`);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)
      return [];
    throw err;
  }
  const kv = await new Kvm(js).open(LEASE_BUCKET);
  const keys: string[] = [];
  for await (const key of await kv.keys()) keys.push(key);
  const leases: LeaseStatus[] = [];
  for (const key of keys) {
    const group = GROUP_KEY.exec(key)?.[1];
    const entry = group === undefined ? null : await kv.get(key);
    if (entry?.operation === 'PUT')
      leases.push({
        group: Number(group),
        owner: entry.string(),
        renewed_at: entry.created.toISOString(),
      });
  }
  return leases.sort((a, b) => a.group - b.group);
}
