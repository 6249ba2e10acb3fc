import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arrayValue,
  DuckDBInstance,
  INTEGER,
  timestampValue,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { appendRows, APPEND_TYPES, BULK_ROWS_PER_FLUSH } from '../../storage/duckdb-append';
import { INSERT_MAX_ROWS, insertRows, writeRows } from '../../storage/duckdb-insert';
import { CACHED_PER_CONNECTION } from '../../storage/duckdb-prepared';
import { HOT_SHARD_DDL } from '../../storage/hot-schema';
import { chunkValues, keyValues, memoryValues, passageValues } from '../../storage/shard-rows';
import type { NewRow } from '../../storage/write-plan';
import { chunkInput, embeddedRecord } from './chunk-inputs';

let dir: string;
let instance: DuckDBInstance;
let conn: DuckDBConnection;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-insert-'));
  instance = await DuckDBInstance.create(':memory:');
  conn = await instance.connect();
  for (const db of ['a', 'b']) {
    await conn.run(`ATTACH '${join(dir, `${db}.duckdb`)}' AS ${db}`);
    for (const ddl of HOT_SHARD_DDL(db)) await conn.run(ddl);
  }
});
afterEach(() => {
  conn.closeSync();
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

function rowsOf(n: number): NewRow[] {
  return Array.from({ length: n }, (_, i) => {
    const record = {
      ...embeddedRecord(`r-${i}`, `memory ${i} ‘quoted’ 'text'`, '2026-11-20T10:00:00.123Z'),
      project: i % 2 ? null : 'akosha',
      tags: i % 2 ? [] : ['a', "b'c"],
      passages: [{ start: 0, end: 3, vector: embeddedRecord('p', 'p', '2026-01-01Z').vector }],
    };
    const input = chunkInput('insert-host', `u-${i}`, [record]);
    return { input, record, vector: input.vectors[0]! };
  });
}

async function table(db: string, name: string): Promise<unknown[][]> {
  const reader = await conn.runAndReadAll(`SELECT * FROM ${db}.${name} ORDER BY ALL`);
  return reader.getRowsJS();
}

describe('rows written by INSERT', () => {
  it('are the rows the appender writes: text, nulls, lists, timestamps and every float', async () => {
    const rows = rowsOf(3);
    rows[0]!.vector[0] = -0; // a sign the text form could lose
    rows[0]!.vector[1] = 1.17549435e-38; // float32's smallest normal
    const outcomes = rows.map((r) => ({
      systemId: 'insert-host',
      uploadId: r.input.message.upload_id,
      part: 0,
      chunk: 0,
      stored: [r.record.id],
      duplicate: [],
      rejected: ["x'y"],
      redelivered: false,
    }));
    const now = timestampValue(1_790_000_000_123_456n);
    const tables = {
      memories: memoryValues(rows),
      record_keys: keyValues(rows),
      memory_passages: passageValues(rows),
      upload_chunks: chunkValues(
        rows.map((r) => r.input),
        outcomes,
      ),
      uploads_completed: rows.map((r) => ['insert-host', r.input.message.upload_id, now, false]),
    } as const;
    for (const [name, values] of Object.entries(tables)) {
      const t = name as keyof typeof tables;
      await appendRows(conn, 'a', t, values);
      await insertRows(conn, 'b', t, APPEND_TYPES[t], values);
      expect(await table('b', t)).toEqual(await table('a', t));
    }
    const reader = await conn.runAndReadAll('SELECT embedding[1] FROM b.memories ORDER BY id');
    expect(Object.is(reader.getRowsJS()[0]![0], -0)).toBe(true);
  });

  it('writes few rows by INSERT and more by the appender, the same either way', async () => {
    const values = memoryValues(rowsOf(INSERT_MAX_ROWS + 3));
    await writeRows(conn, 'a', 'memories', values.slice(0, INSERT_MAX_ROWS));
    await writeRows(conn, 'a', 'memories', values.slice(INSERT_MAX_ROWS));
    await appendRows(conn, 'b', 'memories', values);
    expect(await table('a', 'memories')).toEqual(await table('b', 'memories'));
    await writeRows(conn, 'a', 'memories', []);
  });

  it('single rows, through statements kept prepared, are the rows the appender writes', async () => {
    const values = memoryValues(rowsOf(6));
    for (const row of values) await writeRows(conn, 'a', 'memories', [row]);
    await appendRows(conn, 'b', 'memories', values);
    expect(await table('a', 'memories')).toEqual(await table('b', 'memories'));
  });

  it('keeps at most so many statements prepared per connection, and goes on past them', async () => {
    const tables = CACHED_PER_CONNECTION + 20;
    for (let t = 0; t < tables; t++) await conn.run(`CREATE TABLE t${t} (x INTEGER)`);
    for (let round = 0; round < 2; round++)
      for (let t = 0; t < tables; t++)
        await insertRows(conn, 'memory.main', `t${t}`, [INTEGER], [[round]]);
    const union = Array.from({ length: tables }, (_, t) => `SELECT sum(x) AS s FROM t${t}`);
    const reader = await conn.runAndReadAll(`SELECT sum(s) FROM (${union.join(' UNION ALL ')})`);
    expect(Number(reader.getRows()[0]![0])).toBe(tables);
  });

  it('appends vectors given as Float32Arrays exactly as their DuckDBArrayValues', async () => {
    const values = memoryValues(rowsOf(300)); // more rows than one DataChunk takes
    const asArrayValues = values.map((row) =>
      row.map((v) => (v instanceof Float32Array ? arrayValue(Array.from(v)) : v)),
    );
    await appendRows(conn, 'a', 'memories', values);
    await appendRows(conn, 'b', 'memories', asArrayValues);
    expect(await table('a', 'memories')).toEqual(await table('b', 'memories'));
    const reader = await conn.runAndReadAll(`SELECT embedding FROM a.memories WHERE id = 'r-7'`);
    const r7 = values.find((row) => row[1] === 'r-7')![9] as Float32Array;
    expect(reader.getRowsJS()[0]![0]).toEqual(Array.from(r7));
  });

  it("writes a bulk load's larger flushes as the same rows", async () => {
    const values = memoryValues(rowsOf(BULK_ROWS_PER_FLUSH + 5)); // a full chunk and a partial one
    await appendRows(conn, 'a', 'memories', values, BULK_ROWS_PER_FLUSH);
    await appendRows(conn, 'b', 'memories', values);
    const count = await conn.runAndReadAll('SELECT count(*) FROM a.memories');
    expect(Number(count.getRows()[0]![0])).toBe(values.length);
    expect(await table('a', 'memories')).toEqual(await table('b', 'memories'));
  });

  it('appends a vector column that mixes Float32Arrays and array values value by value', async () => {
    const values = memoryValues(rowsOf(6));
    values[2]![9] = arrayValue(Array.from(values[2]![9] as Float32Array));
    await appendRows(conn, 'a', 'memories', values);
    await insertRows(conn, 'b', 'memories', APPEND_TYPES.memories, values);
    expect(await table('a', 'memories')).toEqual(await table('b', 'memories'));
  });

  it('keeps a vector exact through its text', async () => {
    const values = [0.1, -2.5e-7, 3.4028234663852886e38, 1e-45].map(Math.fround);
    const types = [APPEND_TYPES.memory_passages[5]!];
    await conn.run('CREATE TABLE v (e FLOAT[384])');
    const vector = Array.from({ length: 384 }, (_, i) => values[i % values.length]!);
    await insertRows(conn, 'memory.main', 'v', types, [[arrayValue(vector)]]);
    const reader = await conn.runAndReadAll('SELECT e FROM v');
    expect(reader.getRowsJS()[0]![0]).toEqual(vector);
  });
});
