import type { NatsConnection } from '@nats-io/transport-node';
import type { Embedder } from '../../embedding';
import type { Logger } from '../../infra';
import type { GraphQueries } from '../../storage';
import type { QueryBackend, Searcher } from '../query-backend';
import type { QueryCache } from '../query-cache';
import { MergedSearch } from '../merged-search';
import { cachedSearch, type SearchResponse, type VectorSearch } from '../search';
import { QueryClient } from './query-client';
import { RemoteGraph } from './remote-graph';
import { RemoteShards } from './remote-shards';
import { ScatterSearch } from './scatter-search';
import { WriterDirectory } from './writer-directory';

export interface RemoteBackendOptions {
  nc: NatsConnection;
  embedder: Embedder;
  cache?: QueryCache<SearchResponse> | undefined;
  /** AKOSHA_SCATTER_TIMEOUT_MS: each writer's deadline */
  timeoutMs: number;
  /** AKOSHA_SHARD_GROUPS */
  groupCount: number;
  /** AKOSHA_LEASE_TTL_MS: a lease not renewed within it is not asked */
  leaseTtlMs: number;
  /** this process's own graph store, when it holds it: asked without a NATS hop */
  graph?: GraphQueries | undefined;
  /** the hot tier searched by this process itself (a shared Qdrant): writers answer warm and cold */
  hot?: VectorSearch | undefined;
  log: Logger;
}

/**
 * The query side of a process that does not hold every shard group: each query goes to the
 * writers with a live lease (scatter-gather over their query endpoints), the query is
 * embedded once here, and the query cache works as in one process.
 */
export class RemoteQueryBackend implements QueryBackend {
  readonly kind = 'remote';
  readonly search: Searcher;
  readonly shards: RemoteShards;
  readonly graph: GraphQueries;

  private constructor(
    readonly directory: WriterDirectory,
    opts: RemoteBackendOptions,
  ) {
    const client = new QueryClient(opts.nc, opts.timeoutMs);
    const { groupCount } = opts;
    const scatter = new ScatterSearch({
      client,
      directory,
      embedder: opts.embedder.info,
      groupCount,
    });
    // the writers first: their requests leave before the hot search's own work begins
    const vectors = opts.hot ? new MergedSearch([scatter, opts.hot], opts.embedder.info) : scatter;
    this.search = {
      search: (req, scope = '*') => cachedSearch(opts.embedder, opts.cache, vectors, req, scope),
    };
    this.shards = new RemoteShards({ client, directory, groupCount });
    this.graph = opts.graph ?? new RemoteGraph(client);
  }

  static async open(opts: RemoteBackendOptions): Promise<RemoteQueryBackend> {
    const directory = await WriterDirectory.open(opts.nc, opts.leaseTtlMs, opts.log);
    return new RemoteQueryBackend(directory, opts);
  }

  close(): void {
    this.directory.stop();
  }
}
