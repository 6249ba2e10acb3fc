import type { JetStreamClient } from '@nats-io/jetstream';
import { publishUpload } from '../../producers/publish-upload';
import type { MemoryRecord } from '../../schemas/record';
import type { UploadMessage } from '../../schemas/upload';

export function record(
  id: string,
  content: string,
  extra: Partial<MemoryRecord> = {},
): MemoryRecord {
  return {
    id,
    kind: 'conversation',
    content,
    timestamp: '2026-11-20T10:00:00Z',
    project: 'akosha',
    ...extra,
  };
}

export function upload(systemId: string, uploadId: string, records: unknown[]): UploadMessage {
  return {
    schema_version: 1,
    upload_id: uploadId,
    system_id: systemId,
    created_at: '2026-11-20T10:00:00Z',
    records: records as MemoryRecord[],
  };
}

export const unitVector = (seed: number): number[] => {
  const v = Array.from({ length: 384 }, (_, i) => Math.sin(seed * 31 + i));
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
};

/** Publishes uploads 0..count-1 through the producer, `window` at a time. */
export async function publishMany(
  js: JetStreamClient,
  count: number,
  make: (i: number) => UploadMessage,
  window = 200,
): Promise<void> {
  for (let start = 0; start < count; start += window) {
    const batch = Array.from({ length: Math.min(window, count - start) }, (_, i) => start + i);
    await Promise.all(batch.map((i) => publishUpload(js, make(i), { maxPayloadBytes: 1 << 20 })));
  }
}
