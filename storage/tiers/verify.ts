import type { DuckDBConnection } from '@duckdb/node-api';
import { keyHashSql, statsSql } from './sql';

/** What a set of records must look like on both sides of a move. */
export interface Stats {
  count: number;
  /** sum of the 60-bit key hashes, decimal */
  keys: string;
  /** sum of the 60-bit record hashes, decimal */
  records: string;
}

export type TierErrorCode =
  'COUNT_MISMATCH' | 'KEYS_MISMATCH' | 'RECORDS_MISMATCH' | 'CHECKSUM_MISMATCH' | 'OBJECT_MISSING';

/** A verification failure: the move was rolled back and its source kept. */
export class TierMoveError extends Error {
  constructor(
    readonly code: TierErrorCode,
    readonly moveId: string,
    detail: string,
  ) {
    super(`${code} in move ${moveId}: ${detail}`);
    this.name = 'TierMoveError';
  }
}

export async function readStats(
  conn: DuckDBConnection,
  from: string,
  recordHash: string,
  keyHash = keyHashSql('m.'),
): Promise<Stats> {
  const reader = await conn.runAndReadAll(statsSql(from, recordHash, keyHash));
  const row = reader.getRowObjectsJS()[0]!;
  return { count: Number(row.n), keys: String(row.kh), records: String(row.rh) };
}

/** The first difference between expected and actual, as a coded error; null when equal. */
export function compareStats(
  moveId: string,
  what: string,
  expected: Stats,
  actual: Stats,
  checkRecords = true,
): TierMoveError | null {
  if (expected.count !== actual.count)
    return new TierMoveError(
      'COUNT_MISMATCH',
      moveId,
      `${what}: ${actual.count} records, expected ${expected.count}`,
    );
  if (expected.keys !== actual.keys)
    return new TierMoveError('KEYS_MISMATCH', moveId, `${what}: key hash differs`);
  if (checkRecords && expected.records !== actual.records)
    return new TierMoveError('RECORDS_MISMATCH', moveId, `${what}: record hash differs`);
  return null;
}
