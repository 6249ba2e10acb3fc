import { type Embedder, encodeVector } from '../../embedding';
import { inScope, type SystemScope } from '../scope';
import {
  mergedResponse,
  type FailedPart,
  type SearchHit,
  type SearchRequest,
  type SearchResponse,
  type VectorSearch,
} from '../search';
import type { SearchCall } from './protocol';
import type { QueryClient } from './query-client';
import { SearchReplyShape } from './replies';
import { assertWriters, groupsOf, isFailure, scatter } from './scatter';
import type { WriterDirectory } from './writer-directory';

export interface ScatterSearchDeps {
  client: QueryClient;
  directory: WriterDirectory;
  embedder: Embedder['info'];
  /** AKOSHA_SHARD_GROUPS */
  groupCount: number;
}

/**
 * The search of an embedded query over the writers' query endpoints: each writer searches
 * its own tiers (as SearchService does in one process) and the answers are merged the same
 * way (`mergeHits`). A query naming a system goes only to the writer of its shard group.
 */
export class ScatterSearch implements VectorSearch {
  constructor(private readonly deps: ScatterSearchDeps) {}

  async searchVector(
    vector: Float32Array,
    req: SearchRequest,
    scope: SystemScope,
  ): Promise<SearchResponse> {
    const started = performance.now();
    const { client, directory, embedder } = this.deps;
    assertWriters(directory);
    const allowed = req.system_id === undefined || inScope(scope, req.system_id);
    const groups = allowed ? groupsOf(req.system_id, scope, this.deps.groupCount) : [];
    const call: SearchCall = {
      model: embedder.model,
      vector: encodeVector(vector),
      request: req,
      scope,
    };
    const body = JSON.stringify(call);
    const gathered = await scatter(
      client,
      directory,
      { groups, endpoint: 'search' },
      body,
      SearchReplyShape,
    );
    const hits: SearchHit[] = [];
    const failed: FailedPart[] = [];
    for (const answer of gathered) {
      if (isFailure(answer)) {
        failed.push(answer);
        continue;
      }
      const { reply, writer } = answer;
      hits.push(...reply.results);
      failed.push(...reply.failed.map((f) => ({ ...f, writer: writer.owner })));
      if (reply.cut)
        failed.push({
          writer: writer.owner,
          groups: writer.groups,
          reason: 'error',
          message: `${reply.cut} hits left out to fit the server's max_payload`,
        });
    }
    return mergedResponse(req, scope, { hits, failed }, embedder, started);
  }
}
