/** A search result from the hot tier; warm and cold hits have the same fields. */
export interface HotHit {
  system_id: string;
  id: string;
  kind: string;
  content: string;
  timestamp: string;
  project: string | null;
  tags: string[];
  metadata: Record<string, unknown>;
  upload_id: string;
  similarity: number;
  shard: number;
  tier: 'hot';
  /** the passage of a long text that matched best (UTF-16 offsets into content) */
  passage?: { index: number; start: number; end: number } | undefined;
}

/** A search row (hot, warm or cold: the same columns) as a hit of the given tier. */
export function toSearchHit<T extends HotHit['tier'] | 'warm' | 'cold'>(
  row: Record<string, unknown>,
  tier: T,
): Omit<HotHit, 'tier'> & { tier: T } {
  return {
    system_id: String(row.system_id),
    id: String(row.id),
    kind: String(row.kind),
    content: String(row.content),
    timestamp: String(row.timestamp),
    project: row.project === null ? null : String(row.project),
    tags: (row.tags as string[]) ?? [],
    metadata: JSON.parse(String(row.metadata)) as Record<string, unknown>,
    upload_id: String(row.upload_id),
    similarity: Number(row.similarity),
    shard: Number(row.shard),
    tier,
  };
}
