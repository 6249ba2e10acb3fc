import type { DuckDBConnection } from '@duckdb/node-api';
import type { GraphMessage } from '../../schemas';
import { ShardFilter } from '../shard-filter';
import { recordKey } from '../write-plan';

type Read = (task: (conn: DuckDBConnection) => Promise<ShardFilter>) => Promise<ShardFilter>;

/**
 * Which records the graph may hold mentions of, as key hashes (~50 bytes per record): a
 * search asks the graph for its hits' entities only when one of them may be mentioned, so
 * the hits of records no message ever mentioned cost no DuckDB read (each read is a wait
 * for DuckDB's threads, behind whatever the writer runs). "Not in" is certain, "in" a maybe.
 * Loaded from the mentions table at first use.
 */
export class MentionedRecords {
  private filter: Promise<ShardFilter> | undefined;

  constructor(private readonly read: Read) {}

  /** The records that may be mentioned, of those given. */
  async maybeMentioned<R extends { system_id: string; id: string }>(
    records: readonly R[],
  ): Promise<R[]> {
    const filter = await this.loaded();
    return records.filter((r) => filter.has(recordKey(r.system_id, r.id)));
  }

  /**
   * Before a message is applied (one that then fails to commit leaves only maybes). Added
   * once the filter is loaded, whether or not the load's read saw the message's rows.
   */
  async add(message: GraphMessage): Promise<void> {
    if (message.mentions.length === 0) return;
    const filter = await this.loaded();
    for (const m of message.mentions) filter.add(recordKey(message.system_id, m.record_id));
  }

  /** The graph was emptied. */
  clear(): void {
    this.filter = Promise.resolve(new ShardFilter());
  }

  private loaded(): Promise<ShardFilter> {
    this.filter ??= this.read(loadMentioned).catch((err: unknown) => {
      this.filter = undefined; // the next call tries again
      throw err;
    });
    return this.filter;
  }
}

async function loadMentioned(conn: DuckDBConnection): Promise<ShardFilter> {
  const filter = new ShardFilter();
  const reader = await conn.runAndReadAll('SELECT DISTINCT system_id, record_id FROM mentions');
  for (const [systemId, recordId] of reader.getRows() as [string, string][])
    filter.add(recordKey(systemId, recordId));
  return filter;
}
