import { Objm } from '@nats-io/obj';
import pino from 'pino';
import { CLOUD_DIGEST_BUCKET, DigestStore } from '../../cloud/digest-store';
import { RecordDigest } from '../../producers/record-digest';
import { startTestNats, type TestNats } from '../helpers/nats';

let nats: TestNats;
let store: DigestStore;
const warnings: string[] = [];
const log = pino(
  { level: 'warn' },
  { write: (line: string) => warnings.push(JSON.parse(line).msg as string) },
);

beforeAll(async () => {
  nats = await startTestNats();
  store = await DigestStore.open(nats.nc, log);
});
afterAll(() => nats.stop());

const digestOf = (...keys: string[]) => {
  const d = new RecordDigest();
  keys.forEach((k) => d.add(k));
  return d;
};

const rawBucket = () => new Objm(nats.js).open(CLOUD_DIGEST_BUCKET);

test('a saved digest loads back per system and kind; an absent one loads empty', async () => {
  await store.save('host-a', 'records', digestOf('r1', 'r2'));
  await store.save('host-a', 'graph', digestOf('g1'));
  await store.save('host-b', 'records', digestOf('r3'));
  const a = await store.load('host-a', 'records');
  expect([a.size, a.has('r1'), a.has('r2'), a.has('r3'), a.has('g1')]).toEqual([
    2,
    true,
    true,
    false,
    false,
  ]);
  expect((await store.load('host-a', 'graph')).has('g1')).toBe(true);
  expect((await store.load('host-b', 'records')).has('r3')).toBe(true);
  expect((await store.load('host-c', 'records')).size).toBe(0);
  const names = (await (await rawBucket()).list()).map((o) => o.name).sort();
  expect(names).toEqual(['host-a.graph', 'host-a.records', 'host-b.records']);
});

test('a saved digest replaces the previous one; a removed one loads empty', async () => {
  await store.save('host-d', 'records', digestOf('old'));
  await store.save('host-d', 'records', digestOf('new-1', 'new-2'));
  const d = await store.load('host-d', 'records');
  expect([d.size, d.has('old'), d.has('new-1')]).toEqual([2, false, true]);
  await store.remove('host-d', 'records');
  await store.remove('host-d', 'records');
  expect((await store.load('host-d', 'records')).size).toBe(0);
});

test('a corrupt or truncated digest loads empty, with a warning', async () => {
  const bucket = await rawBucket();
  const good = Buffer.from(digestOf('a', 'b', 'c').toBytes());
  await bucket.putBlob({ name: 'host-e.records' }, good.subarray(0, good.length - 3));
  await bucket.putBlob({ name: 'host-e.graph' }, new TextEncoder().encode('not a digest'));
  warnings.length = 0;
  expect((await store.load('host-e', 'records')).size).toBe(0);
  expect((await store.load('host-e', 'graph')).size).toBe(0);
  expect(warnings).toEqual([
    'digest unreadable; starting empty',
    'digest unreadable; starting empty',
  ]);
  // the next save mends it
  await store.save('host-e', 'records', digestOf('a'));
  expect((await store.load('host-e', 'records')).has('a')).toBe(true);
});

test('a system id that is not one is refused before any object is named', async () => {
  await expect(store.load('bad.host', 'records')).rejects.toThrow(/must match/);
  await expect(store.save('../x', 'graph', digestOf('a'))).rejects.toThrow(/must match/);
});

test('opening again binds the same bucket', async () => {
  const again = await DigestStore.open(nats.nc, log);
  expect((await again.load('host-a', 'records')).has('r1')).toBe(true);
});
