import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { GraphMessage } from '../../schemas';
import { KeyedLock, Pool } from '../keyed-lock';
import { applyMessage, countOf } from './apply';
import { MentionedRecords } from './mentioned-records';
import { findPath } from './path';
import { entitiesOfRecords, entityDetail, neighbors } from './queries';
import { createGraphTables, createStageTables } from './schema';
import { graphStatistics } from './statistics';
import type { GraphCounts, GraphStore, LinkedEntity, SystemScope } from './types';

const READERS = 2;

/**
 * The knowledge graph in one DuckDB file, written by one process (DuckDB allows one writer
 * per file). It keeps what each system states, not a merged graph: entity, relation and
 * mention statements keyed by (system_id, source_id). A global entity or edge is the group of
 * its statements, so a system's statements can be replaced on their own (the newer
 * updated_at wins; an equal one keeps the larger content digest, so apply order never
 * matters), "which systems know X" is one GROUP BY, and a scope simply filters statements.
 * Writes run one at a time on the writer connection; reads use their own connections and see
 * the last committed state.
 */
class DuckDbGraphStore implements GraphStore {
  private readonly writeLock = new KeyedLock<'writer'>();
  private closed = false;
  private readonly mentioned = new MentionedRecords((task) => this.read(task));

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: Pool<DuckDBConnection>,
  ) {}

  async apply(message: GraphMessage) {
    await this.mentioned.add(message);
    return this.write((conn) => applyMessage(conn, message));
  }

  neighbors(entityId: string, opts: { edgeType?: string; limit: number; scope: SystemScope }) {
    return this.read((conn) => neighbors(conn, entityId, opts));
  }

  findPath(sourceId: string, targetId: string, opts: { maxHops: number; scope: SystemScope }) {
    return this.read((conn) => findPath(conn, sourceId, targetId, opts));
  }

  statistics(scope: SystemScope) {
    return this.read((conn) => graphStatistics(conn, scope));
  }

  entity(entityId: string, scope: SystemScope) {
    return this.read((conn) => entityDetail(conn, entityId, scope));
  }

  async entitiesOfRecords(records: readonly { system_id: string; id: string }[]) {
    const mentioned = await this.mentioned.maybeMentioned(records);
    if (mentioned.length === 0) return new Map<string, LinkedEntity[]>();
    return this.read((conn) => entitiesOfRecords(conn, mentioned));
  }

  counts(): Promise<GraphCounts> {
    return this.read(async (conn) => ({
      entityStatements: await countOf(conn, 'entity_statements'),
      relationStatements: await countOf(conn, 'relation_statements'),
      mentions: await countOf(conn, 'mentions'),
    }));
  }

  clear(): Promise<void> {
    return this.write(async (conn) => {
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const table of ['entity_statements', 'relation_statements', 'mentions'])
          await conn.run(`DELETE FROM ${table}`);
        await conn.run('COMMIT');
        this.mentioned.clear();
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Waits for the write in progress; reads still running fail as their connection closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeLock.run('writer', async () => {
      for (const conn of this.readers.all) conn.closeSync();
      this.writer.closeSync();
      this.instance.closeSync();
    });
  }

  private write<T>(task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.writeLock.run('writer', () => task(this.writer));
  }

  private read<T>(task: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    this.assertOpen();
    return this.readers.use(task);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the graph store is closed');
  }
}

/** Opens (creating when missing) the graph file; this process becomes its one writer. */
export async function openGraphStore(file: string): Promise<GraphStore> {
  mkdirSync(dirname(file), { recursive: true });
  const instance = await DuckDBInstance.create(file);
  const conns: DuckDBConnection[] = [];
  try {
    for (let i = 0; i <= READERS; i++) conns.push(await instance.connect());
    const [writer, ...readers] = conns as [DuckDBConnection, ...DuckDBConnection[]];
    await createGraphTables(writer);
    await createStageTables(writer);
    return new DuckDbGraphStore(instance, writer, new Pool(readers));
  } catch (err) {
    for (const conn of conns) conn.closeSync();
    instance.closeSync();
    throw err;
  }
}
