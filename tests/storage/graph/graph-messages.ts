import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GraphMessage,
  type GraphEntity,
  type GraphMessageInput,
  type GraphRelation,
} from '../../../schemas/graph';
import { openGraphStore } from '../../../storage/graph/duckdb-graph-store';
import type { GraphStore } from '../../../storage/graph/types';

export const T1 = '2026-03-01T10:00:00Z';
export const T2 = '2026-03-02T10:00:00Z';

let batch = 0;

/** A valid graph message of one system (defaults filled by the schema). */
export function graphMessage(
  systemId: string,
  parts: Pick<GraphMessageInput, 'entities' | 'relations' | 'mentions'>,
): GraphMessage {
  return GraphMessage.parse({
    schema_version: 1,
    system_id: systemId,
    batch_id: `batch-${++batch}`,
    created_at: T1,
    ...parts,
  });
}

export const entity = (
  sourceId: string,
  name: string,
  entityType: string,
  extra: Partial<GraphEntity> = {},
) => ({ source_id: sourceId, name, entity_type: entityType, updated_at: T1, ...extra });

/** A relation between typed ends; pass `{ name }` refs for ends resolved by name. */
export const relation = (
  sourceId: string,
  from: GraphRelation['from'],
  to: GraphRelation['to'],
  relationType = 'uses',
  extra: Partial<GraphRelation> = {},
) => ({ source_id: sourceId, from, to, relation_type: relationType, updated_at: T1, ...extra });

/** A store in a fresh temp dir; `done` closes it and removes the dir. */
export async function tempGraphStore(): Promise<{
  store: GraphStore;
  file: string;
  done: () => Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'akosha-graph-'));
  const file = join(dir, 'graph.duckdb');
  const store = await openGraphStore(file);
  return {
    store,
    file,
    done: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
