import type { JetStreamClient } from '@nats-io/jetstream';
import { version as akoshaVersion } from '../package.json';
import { type GraphMessageInput, SYSTEM_ID_PATTERN, UploadId } from '../schemas';
import type { DigestSet } from './digest-set';
import { IMPORT_UPLOADER } from './import-session-buddy';
import { publishGraph } from './publish-graph';
import {
  graphSkip,
  readSessionBuddyGraph,
  type GraphFileKind,
  type SkippedRow,
} from './session-buddy';

export interface GraphImportFiles {
  knowledgeGraph?: string;
  reflection?: string;
}

export interface GraphImportOptions {
  systemId: string;
  /** batch ids are `<batchIdPrefix>_g<n>`, numbered across both files */
  batchIdPrefix: string;
  maxPayloadBytes: number;
  /** digests of statements an earlier import already published: not published again */
  known?: DigestSet;
  /** receives the digest of every statement read, published or not */
  seen?: DigestSet;
  onSkip?: (row: SkippedRow) => void;
}

export interface GraphImportTotals {
  /** statements published */
  entities: number;
  relations: number;
  mentions: number;
  /** statements found in `known` */
  unchanged: number;
  /** rows (and tables) that could not become statements */
  skipped: number;
  /** graph messages published (a batch above the max payload is several) */
  messages: number;
}

/** Room `_g<n>` (8 digits) and publishGraph's `_<n>` piece suffix need in a batch id. */
const BATCH_SUFFIX_CHARS = 14;
/** Envelope and framing that a message holds besides one statement. */
const ENVELOPE_BYTES = 16 * 1024;

/**
 * Publishes the knowledge graph of Session-Buddy's files: knowledge_graph.duckdb first, then
 * the memory entities of a v2 reflection.duckdb. Each statement's digest (its kind, source id
 * and full content) goes to `seen`; a statement whose digest is in `known` is left out, so a
 * whole-database re-upload publishes only what changed.
 */
export async function importSessionBuddyGraph(
  js: JetStreamClient,
  files: GraphImportFiles,
  opts: GraphImportOptions,
): Promise<GraphImportTotals> {
  checkOptions(opts);
  const totals = { entities: 0, relations: 0, mentions: 0, unchanged: 0, skipped: 0, messages: 0 };
  const onSkip = (row: SkippedRow) => {
    totals.skipped += 1;
    opts.onSkip?.(row);
  };
  const filter = new StatementFilter(opts, totals, onSkip);
  let batchNumber = 1;
  const kinds: [GraphFileKind, string | undefined][] = [
    ['knowledgeGraph', files.knowledgeGraph],
    ['reflection', files.reflection],
  ];
  for (const [kind, path] of kinds) {
    if (path === undefined) continue;
    const batches = readSessionBuddyGraph(path, kind, {
      systemId: opts.systemId,
      batchIdPrefix: opts.batchIdPrefix,
      firstBatchNumber: batchNumber,
      source: { uploader: IMPORT_UPLOADER, version: akoshaVersion },
      onSkip,
    });
    for await (const batch of batches) {
      batchNumber += 1;
      const fresh = filter.fresh(batch);
      if (!fresh) continue;
      const published = await publishGraph(js, fresh, { maxPayloadBytes: opts.maxPayloadBytes });
      totals.messages += published.messages;
    }
  }
  return totals;
}

/** Keeps the statements not in `known`, records every digest in `seen`, counts what is kept. */
class StatementFilter {
  private readonly maxStatementBytes: number;

  constructor(
    private readonly opts: GraphImportOptions,
    private readonly totals: GraphImportTotals,
    private readonly onSkip: (row: SkippedRow) => void,
  ) {
    this.maxStatementBytes = opts.maxPayloadBytes - ENVELOPE_BYTES;
  }

  /** The batch with only its new statements; undefined when none is new. */
  fresh(batch: GraphMessageInput): GraphMessageInput | undefined {
    const entities = (batch.entities ?? []).filter((e) =>
      this.keep('e', e.source_id, e, 'entities'),
    );
    const relations = (batch.relations ?? []).filter((r) =>
      this.keep('r', r.source_id, r, 'relations'),
    );
    const mentions = (batch.mentions ?? []).filter((m) =>
      this.keep('m', m.record_id, m, 'mentions'),
    );
    if (entities.length + relations.length + mentions.length === 0) return undefined;
    return { ...batch, entities, relations, mentions };
  }

  private keep(
    tag: string,
    id: string,
    statement: object,
    counter: 'entities' | 'relations' | 'mentions',
  ): boolean {
    const json = JSON.stringify(statement);
    if (Buffer.byteLength(json) > this.maxStatementBytes) {
      this.onSkip(graphSkip(counter, id, 'TOO_LARGE', `above ${this.maxStatementBytes} bytes`));
      return false;
    }
    const key = `${tag}\u001f${id}\u001f${json}`;
    this.opts.seen?.add(key);
    if (this.opts.known?.has(key)) {
      this.totals.unchanged += 1;
      return false;
    }
    this.totals[counter] += 1;
    return true;
  }
}

function checkOptions(opts: GraphImportOptions): void {
  if (!SYSTEM_ID_PATTERN.test(opts.systemId))
    throw new Error(`system_id "${opts.systemId}" must match ${SYSTEM_ID_PATTERN}`);
  const prefix = opts.batchIdPrefix;
  if (!UploadId.safeParse(prefix).success || prefix.length > 100 - BATCH_SUFFIX_CHARS)
    throw new Error(
      `batch id prefix "${prefix}" must be an upload id of at most ${100 - BATCH_SUFFIX_CHARS} characters`,
    );
}
