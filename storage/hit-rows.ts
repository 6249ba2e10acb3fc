import { isoSql } from './time';

export interface HitRowKey {
  system_id: string;
  id: string;
  /** -1: the record's own vector matched */
  passage: number;
  similarity: number;
}

const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The rows of a shard's index hits, with each hit's similarity and matched passage: the hits
 * join the shard as a small VALUES table (ids are validated, quoted anyway).
 */
export function hitRowsSql(db: string, shard: number, keys: HitRowKey[]): string {
  const values = keys
    .map(
      (k) =>
        `(${literal(k.system_id)}, ${literal(k.id)}, ${Math.trunc(k.passage)}, ${Number(k.similarity)}::DOUBLE)`,
    )
    .join(', ');
  return `WITH k(system_id, id, passage, similarity) AS (VALUES ${values})
    SELECT m.system_id, m.id, m.kind, m.content, ${isoSql('m.ts')} AS timestamp, m.project, m.tags,
      m.metadata, m.upload_id, ${shard} AS shard, k.similarity, k.passage, p.char_start, p.char_end
    FROM k JOIN ${db}.memories m ON m.system_id = k.system_id AND m.id = k.id
    LEFT JOIN ${db}.memory_passages p
      ON p.system_id = k.system_id AND p.id = k.id AND p.passage = k.passage
    ORDER BY k.similarity DESC`;
}
