import {
  ARRAY,
  FLOAT,
  TIMESTAMP,
  VARCHAR,
  arrayValue,
  timestampValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { EMBEDDING_DIM } from '../../schemas';
import type { SearchOptions } from '../hot-store';
import { isoSql, isoToMicros } from '../time';
import { dequantiseSql } from './sql';

/**
 * Brute-force search SQL over a table or read_parquet(...) of warm-shaped rows. Parameters
 * (see `searchParams`): $1 query vector, then system, project, kind, since, until, model;
 * a NULL parameter does not filter.
 */
export function warmSearchSql(from: string, shardExpr: string, tier: 'warm' | 'cold'): string {
  return `SELECT system_id, id, kind, summary AS content, ${isoSql('ts')} AS timestamp, project, tags,
      metadata, upload_id, ${shardExpr} AS shard, '${tier}' AS tier,
      array_cosine_similarity(${dequantiseSql('vec_q', 'vec_scale')}, $1::FLOAT[${EMBEDDING_DIM}]) AS similarity
    FROM ${from}
    WHERE ($2::VARCHAR IS NULL OR system_id = $2::VARCHAR)
      AND ($3::VARCHAR IS NULL OR project = $3::VARCHAR)
      AND ($4::VARCHAR IS NULL OR kind = $4::VARCHAR)
      AND ($5::TIMESTAMP IS NULL OR ts >= $5::TIMESTAMP)
      AND ($6::TIMESTAMP IS NULL OR ts < $6::TIMESTAMP)
      AND ($7::VARCHAR IS NULL OR embedder_model = $7::VARCHAR)`;
}

/** The values and types of `warmSearchSql`'s parameters. */
export function searchParams(
  query: Float32Array,
  opts: SearchOptions,
): { values: DuckDBValue[]; types: DuckDBType[] } {
  const f = opts.filter ?? {};
  const time = (iso: string | undefined) =>
    iso === undefined ? null : timestampValue(isoToMicros(iso));
  return {
    values: [
      arrayValue([...query]),
      opts.systemId ?? f.system_id ?? null,
      f.project ?? null,
      f.kind ?? null,
      time(f.since),
      time(f.until),
      opts.model ?? null,
    ],
    types: [ARRAY(FLOAT, EMBEDDING_DIM), VARCHAR, VARCHAR, VARCHAR, TIMESTAMP, TIMESTAMP, VARCHAR],
  };
}
