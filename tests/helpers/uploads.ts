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
