import { Writable } from 'node:stream';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../infra/config';
import { QDRANT_DEFAULTS } from '../../infra/defaults';
import { REDACT_PATHS } from '../../infra/logger';
import { QdrantIndex } from '../../storage/vector-index/qdrant-index';

describe('vector store settings', () => {
  it('keeps the embedded index by default', () => {
    expect(loadConfig({}).writer.vectorStore).toEqual({ kind: 'usearch' });
  });

  it('takes Qdrant from AKOSHA_QDRANT_URL, else QDRANT_URL, with collection, timeout and ef', () => {
    const qdrant = (env: Record<string, string>) =>
      loadConfig({ AKOSHA_VECTOR_STORE: 'qdrant', ...env }).writer.vectorStore;
    expect(qdrant({ QDRANT_URL: 'http://q:6333' })).toEqual({
      kind: 'qdrant',
      qdrant: { url: 'http://q:6333', collection: 'akosha_hot', timeoutMs: 10_000, hnswEf: 80 },
    });
    expect(
      qdrant({
        QDRANT_URL: 'http://other:6333',
        AKOSHA_QDRANT_URL: 'https://q.internal:6333',
        AKOSHA_QDRANT_API_KEY: 'k3y',
        AKOSHA_QDRANT_COLLECTION: 'team_hot',
        AKOSHA_QDRANT_TIMEOUT_MS: '2500',
        AKOSHA_INDEX_EF_SEARCH: '256',
      }),
    ).toEqual({
      kind: 'qdrant',
      qdrant: {
        url: 'https://q.internal:6333',
        apiKey: 'k3y',
        collection: 'team_hot',
        timeoutMs: 2500,
        hnswEf: 256,
      },
    });
  });

  it('has the defaults a QdrantIndex built without options has', () => {
    const config = loadConfig({ AKOSHA_VECTOR_STORE: 'qdrant', QDRANT_URL: 'http://q:6333' });
    const { vectorStore } = config.writer;
    if (vectorStore.kind !== 'qdrant') throw new Error('expected qdrant');
    const bare = new QdrantIndex({ url: 'http://q:6333', collection: 'x' });
    expect(vectorStore.qdrant).toMatchObject({
      collection: QDRANT_DEFAULTS.collection,
      timeoutMs: bare.timeoutMs,
      hnswEf: QDRANT_DEFAULTS.hnswEf,
    });
    // the embedded index's ef follows its size; Qdrant's stays fixed
    expect(config.writer.graph.expansionSearch).toBe('auto');
    expect(QDRANT_DEFAULTS.hnswEf).toBe(80);
  });

  it('takes ef at query time as auto or a number from 10 to 4096', () => {
    const ef = (value: string) => loadConfig({ AKOSHA_INDEX_EF_SEARCH: value }).writer.graph;
    expect(ef('auto').expansionSearch).toBe('auto');
    expect(ef('64').expansionSearch).toBe(64);
    for (const bad of ['5', '5000', 'fast', '48.5'])
      expect(() => ef(bad)).toThrow(/AKOSHA_INDEX_EF_SEARCH/);
  });

  it('refuses Qdrant without a URL, and a collection name Qdrant would not take', () => {
    expect(() => loadConfig({ AKOSHA_VECTOR_STORE: 'qdrant' })).toThrow(ConfigError);
    expect(() => loadConfig({ AKOSHA_VECTOR_STORE: 'qdrant', QDRANT_URL: 'q:6333' })).toThrow(
      /AKOSHA_QDRANT_URL/,
    );
    expect(() =>
      loadConfig({ AKOSHA_QDRANT_URL: 'http://q:6333', AKOSHA_QDRANT_COLLECTION: 'a/b' }),
    ).toThrow(/AKOSHA_QDRANT_COLLECTION/);
  });

  it('never logs the API key', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const { vectorStore } = loadConfig({
      AKOSHA_VECTOR_STORE: 'qdrant',
      AKOSHA_QDRANT_URL: 'http://q:6333',
      AKOSHA_QDRANT_API_KEY: 'secret-api-key',
    }).writer;
    if (vectorStore.kind !== 'qdrant') throw new Error('expected qdrant');
    log.info({ qdrant: vectorStore.qdrant }, 'vector store');
    log.info({ vectorStore }, 'vector store');
    expect(out).toContain('http://q:6333');
    expect(out).not.toContain('secret-api-key');
  });
});
