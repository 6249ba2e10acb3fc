import { DEFAULT_HTTP_LIMITS } from '../../api/limits';
import { MahavishnuClient, DEFAULT_MAHAVISHNU_URL } from '../../bridge/mahavishnu-client';
import { embedderModelId } from '../../embedding/factory';
import { loadConfig } from '../../infra/config';
import {
  EMBEDDER_DEFAULTS,
  HOT_INDEX_DEFAULTS,
  HOT_STORE_DEFAULTS,
  MAHAVISHNU_DEFAULTS,
  QUERY_CACHE_DEFAULTS,
} from '../../infra/defaults';
import { DEFAULT_COLD_READ_LIMITS } from '../../storage/tiers/cold-limits';
import { USEARCH_DEFAULTS } from '../../storage/vector-index/usearch-index';

// The configured pipeline (no variable set) and a component built without options must agree.
describe('defaults: the environment schema and the components', () => {
  const config = loadConfig({});

  it('hot vector index: quantisation, ef at query time, resident bytes, graph thread, save interval', () => {
    expect(config.writer.graph).toEqual({
      quantization: USEARCH_DEFAULTS.quantization,
      expansionSearch: USEARCH_DEFAULTS.expansionSearch,
      residentBytes: USEARCH_DEFAULTS.residentBytes,
      graphThread: USEARCH_DEFAULTS.graphThread,
    });
    expect(loadConfig({ AKOSHA_INDEX_GRAPH_THREAD: 'on' }).writer.graph.graphThread).toBe(true);
    expect(loadConfig({ AKOSHA_INDEX_GRAPH_THREAD: 'off' }).writer.graph.graphThread).toBe(false);
    expect(() => loadConfig({ AKOSHA_INDEX_GRAPH_THREAD: 'yes' })).toThrow(/GRAPH_THREAD/);
    expect(loadConfig({ AKOSHA_INDEX_RESIDENT_MB: '0' }).writer.graph.residentBytes).toBe(0);
    expect(() => loadConfig({ AKOSHA_INDEX_RESIDENT_MB: '-1' })).toThrow(/RESIDENT/);
    expect(config.writer.indexSaveIntervalMs).toBe(HOT_INDEX_DEFAULTS.saveIntervalMs);
  });

  it('hot store: DuckDB threads', () => {
    expect(config.writer.duckdbThreads).toBe(HOT_STORE_DEFAULTS.duckdbThreads);
  });

  it('model embedder: model, dtype and batch size', () => {
    const { cacheDir } = config.embedder;
    const unconfigured = embedderModelId({ kind: 'model', ...(cacheDir && { cacheDir }) });
    expect(embedderModelId({ ...config.embedder, kind: 'model' })).toBe(unconfigured);
    expect(config.embedder.dtype).toBe(EMBEDDER_DEFAULTS.dtype);
    expect(config.embedder.batchSize).toBe(EMBEDDER_DEFAULTS.batchSize);
  });

  it('Mahavishnu: URL, call timeout and breaker', () => {
    expect(config.bridge.mahavishnuUrl).toBe(DEFAULT_MAHAVISHNU_URL);
    expect(config.bridge.callTimeoutMs).toBe(new MahavishnuClient().timeoutMs);
    expect(config.bridge.breaker).toEqual(MAHAVISHNU_DEFAULTS.breaker);
  });

  it('query cache: key prefix and byte limits', () => {
    expect(config.cache).toMatchObject({
      prefix: QUERY_CACHE_DEFAULTS.prefix,
      maxBytes: QUERY_CACHE_DEFAULTS.l1MaxBytes,
      maxEntryBytes: QUERY_CACHE_DEFAULTS.maxEntryBytes,
    });
  });

  it('HTTP and MCP request limits', () => {
    expect(config.http.limits).toEqual(DEFAULT_HTTP_LIMITS);
  });

  it('cold tier read limits', () => {
    expect(config.aging.coldReads).toEqual(DEFAULT_COLD_READ_LIMITS);
  });
});
