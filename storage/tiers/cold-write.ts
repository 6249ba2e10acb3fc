import { readdir, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { KIND_PREFIX, type ColdObject } from './cold-store';
import type { Tiers } from './context';
import { setPhase } from './journal';
import { inMove } from './moves';
import { sqlString } from './sql';
import { warmDbName } from './warm-store';

/**
 * One COPY writes every partition; each file is uploaded as its planned object. ZSTD level 1:
 * int8 vectors barely compress at any level, and level 3 costs ~30 % more time.
 */
export async function writeColdObjects(
  t: Tiers,
  conn: DuckDBConnection,
  shard: number,
  moveId: string,
  objects: ColdObject[],
): Promise<{ uploaded: ColdObject[]; bytes: number }> {
  const w = warmDbName(shard);
  const dir = await t.cold.tempDir();
  try {
    await conn.run(
      `COPY (SELECT m.*, m.kind AS p_kind, m.system_id AS p_sys, strftime(m.ts, '%Y-%m-%d') AS p_day
               ${inMove(`${w}.records`, `${w}.move_keys`, moveId)})
         TO ${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARTITION_BY (p_kind, p_sys, p_day),
                               FILENAME_PATTERN 'part_{i}')`,
    );
    const files = await partitionFiles(dir);
    let bytes = 0;
    const withPaths = objects.map((object) => {
      const [prefix, system, ...day] = object.key.split('/');
      const kind = prefix === KIND_PREFIX.reflection ? 'reflection' : 'conversation';
      const path = files.get(`${kind}\u001f${system}\u001f${day.slice(0, 3).join('-')}`);
      if (path === undefined) throw new Error(`move ${moveId}: no Parquet file for ${object.key}`);
      return { object, path: path.path };
    });
    for (const f of files.values()) bytes += f.size;
    const uploaded = await t.cold.upload(withPaths);
    await t.point('warm-cold', 'mid-copy');
    await setPhase(conn, w, moveId, 'copied', { objects: uploaded });
    return { uploaded, bytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `p_kind=…/p_sys=…/p_day=…/part_0.parquet` → one file per partition (checked). */
async function partitionFiles(dir: string): Promise<Map<string, { path: string; size: number }>> {
  const files = new Map<string, { path: string; size: number }>();
  for (const rel of (await readdir(dir, { recursive: true })).sort()) {
    if (!rel.endsWith('.parquet')) continue;
    const parts = relative('.', rel).split(sep);
    const value = (name: string) =>
      decodeURIComponent(parts.find((p) => p.startsWith(`${name}=`))!.slice(name.length + 1));
    const path = join(dir, rel);
    const part = `${value('p_kind')}\u001f${value('p_sys')}\u001f${value('p_day')}`;
    if (files.has(part)) throw new Error(`more than one Parquet file for partition ${part}`);
    files.set(part, { path, size: (await stat(path)).size });
  }
  return files;
}
