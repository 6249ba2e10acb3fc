import { nanos } from '@nats-io/transport-node';
import { loadConfig } from '../../infra/config';
import { STREAM, streamDefinitions } from '../../streams/definitions';
import { guardStreamUpdate } from '../../streams/stream-guard';

const uploads = (env: Record<string, string> = {}) =>
  streamDefinitions(loadConfig(env).streams).find((s) => s.name === STREAM.uploads)!;

describe('guardStreamUpdate', () => {
  it('takes replicas from AKOSHA_STREAM_REPLICAS', () => {
    expect(uploads().num_replicas).toBe(1);
    expect(uploads({ AKOSHA_STREAM_REPLICAS: '3' }).num_replicas).toBe(3);
  });

  it("never lowers the server's replicas or history without force", () => {
    const server = { ...uploads(), num_replicas: 3, max_age: nanos(400 * 86_400_000) };
    const { config, kept } = guardStreamUpdate(server, uploads(), false);
    expect(config.num_replicas).toBe(3);
    expect(config.max_age).toBe(server.max_age);
    expect(kept.map((k) => k.field).sort()).toEqual(['max_age', 'num_replicas']);
  });

  it('treats 0 and -1 as no limit: an unlimited server value is the higher one', () => {
    const server = { ...uploads(), max_age: 0, max_bytes: -1 };
    const { config, kept } = guardStreamUpdate(server, { ...uploads(), max_bytes: 1e9 }, false);
    expect(config).toMatchObject({ max_age: 0, max_bytes: -1 });
    expect(kept.map((k) => k.field).sort()).toEqual(['max_age', 'max_bytes']);
  });

  it('raises freely, and force lowers', () => {
    const server = { ...uploads(), num_replicas: 3, duplicate_window: nanos(60_000) };
    const raised = guardStreamUpdate(server, { ...uploads(), num_replicas: 5 }, false);
    expect(raised.config).toMatchObject({ num_replicas: 5, duplicate_window: nanos(300_000) });
    expect(raised.kept).toEqual([]);
    const forced = guardStreamUpdate(server, uploads(), true);
    expect(forced.config.num_replicas).toBe(1);
    expect(forced.kept).toEqual([]);
  });
});
