import { applyTopology } from '../../streams/apply';
import { STREAM } from '../../streams/definitions';
import { loadConfig } from '../../infra/config';
import { publishUpload, splitIntoParts } from '../../producers/publish-upload';
import type { UploadMessage } from '../../schemas/upload';
import { readStream } from '../helpers/streams';
import { startTestNats, type TestNats } from '../helpers/nats';
import { record, upload } from '../helpers/uploads';

describe('publishUpload', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
    await applyTopology(nats.nc, loadConfig({}).streams);
  });
  afterAll(() => nats.stop());

  it('splits an upload above the payload limit into parts without losing or repeating a record', () => {
    const records = Array.from({ length: 300 }, (_, i) => record(`r${i}`, `text ${i} `.repeat(20)));
    const parts = splitIntoParts(upload('dev-box', 'big', records), 16 * 1024).map(
      (p) => JSON.parse(p) as UploadMessage,
    );
    expect(parts.length).toBeGreaterThan(3);
    parts.forEach((p, i) => expect(p.part).toEqual({ index: i, count: parts.length }));
    expect(parts.flatMap((p) => p.records.map((r) => r.id))).toEqual(records.map((r) => r.id));
  });

  it('publishes every part once, and a second publish is recognised as a duplicate', async () => {
    const records = Array.from({ length: 200 }, (_, i) =>
      record(`r${i}`, `memory number ${i} `.repeat(10)),
    );
    const big = upload('dev-box', '20261128_120000_dev-box', records);
    const first = await publishUpload(nats.js, big, { maxPayloadBytes: 24 * 1024 });
    const again = await publishUpload(nats.js, big, { maxPayloadBytes: 24 * 1024 });
    expect(first.parts).toBeGreaterThan(1);
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    const stored = await readStream<UploadMessage>(nats.nc, nats.js, STREAM.uploads);
    expect(stored).toHaveLength(first.parts);
    expect(stored[0]!.subject).toBe(`akosha.uploads.${first.shard}.dev-box`);
    expect(stored.flatMap((m) => m.data.records.map((r) => r.id))).toEqual(
      records.map((r) => r.id),
    );
  });

  it('refuses an invalid upload with the schema issues', async () => {
    const bad = upload('dev.box', 'u1', [record('a', 'x')]);
    await expect(publishUpload(nats.js, bad, { maxPayloadBytes: 1 << 20 })).rejects.toMatchObject({
      code: 'SCHEMA_INVALID',
      issues: [expect.objectContaining({ path: 'system_id' })],
    });
  });
});
