import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type GraphImportFiles,
  type GraphImportTotals,
  importSessionBuddyGraph,
} from '../producers';

/** Skipped rows listed after the run; the summary carries the full count. */
const SKIPPED_ROWS_SHOWN = 10;
const IMPORT_KEY_CHARS = 12;
/** Leaves room for the importer's `_g<n>` and a split message's `_<n>`. */
const SYSTEM_ID_CHARS = 60;

/**
 * `--graph`: publishes a knowledge_graph.duckdb (and the memory entities of the reflection file,
 * when one is given) as graph messages; a one-line JSON summary on stdout, and the totals back.
 * Batch ids hash the files' bytes: importing the same files again publishes the same batches,
 * which the broker drops within its duplicate window.
 */
export async function runGraphImport(
  nc: NatsConnection,
  files: GraphImportFiles,
  systemId: string,
): Promise<GraphImportTotals> {
  const batchIdPrefix = `graph_${systemId.slice(0, SYSTEM_ID_CHARS)}_${await filesKey(files)}`;
  let shown = 0;
  const totals = await importSessionBuddyGraph(jetstream(nc), files, {
    systemId,
    batchIdPrefix,
    maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
    onSkip: (row) => {
      if (shown++ < SKIPPED_ROWS_SHOWN)
        console.error(`skipped ${row.table} row ${JSON.stringify(row.id)}: ${row.reason}`);
    },
  });
  console.log(
    JSON.stringify({
      graph: files.knowledgeGraph,
      ...(files.reflection ? { reflection: files.reflection } : {}),
      system_id: systemId,
      batch_id_prefix: batchIdPrefix,
      ...totals,
    }),
  );
  return totals;
}

async function filesKey(files: GraphImportFiles): Promise<string> {
  const hash = createHash('sha256');
  for (const path of [files.knowledgeGraph, files.reflection]) {
    if (path === undefined) continue;
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    hash.update('\u001f');
  }
  return hash.digest('hex').slice(0, IMPORT_KEY_CHARS);
}
