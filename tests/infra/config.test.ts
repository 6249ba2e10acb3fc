import { ConfigError, loadConfig, parseGroups } from '../../infra/config';

describe('config', () => {
  it('has working defaults', () => {
    const c = loadConfig({});
    expect(c.nats.url).toBe('nats://127.0.0.1:4222');
    expect(c.http.port).toBe(8682);
    expect(c.writer.groups).toHaveLength(16);
    expect(c.streams.uploadsMaxAgeMs).toBe(30 * 86_400_000);
  });

  it('lists every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ AKOSHA_HTTP_PORT: 'eighty', AKOSHA_SHARD_GROUPS: '7', AKOSHA_BACKOFF_MS: '1s' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/AKOSHA_HTTP_PORT/);
    expect(message).toMatch(/AKOSHA_SHARD_GROUPS: must divide 256/);
    expect(message).toMatch(/AKOSHA_BACKOFF_MS/);
  });

  it('parses writer group ranges', () => {
    expect(parseGroups('0-2,7', 16)).toEqual([0, 1, 2, 7]);
    expect(() => parseGroups('15-16', 16)).toThrow(/group 16/);
  });
});
