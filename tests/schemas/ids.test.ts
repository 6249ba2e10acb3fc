import { normaliseSystemId, shardOf, SystemId, UploadId } from '../../schemas/ids';

describe('shard key', () => {
  it.each([
    ['test-system', 215],
    ['system-001', 10],
    ['system-1', 145],
    ['system-2', 210],
  ])('%s → shard %i (reference values of the Python Akosha)', (systemId, shard) => {
    expect(shardOf(systemId)).toBe(shard);
  });

  it('gives the same shard when asked again, also once the remembered ids start over', () => {
    const first = [shardOf('system-001'), shardOf('system-001')];
    for (let i = 0; i <= 100_000; i++) shardOf(`bench-${i}`);
    expect([...first, shardOf('system-001'), shardOf('test-system')]).toEqual([10, 10, 10, 215]);
  });
});

describe('identifiers', () => {
  it('normalises a hostname with dots into a subject token', () => {
    expect(normaliseSystemId('dev.box.local')).toBe('dev-box-local');
    expect(SystemId.safeParse('dev.box.local').success).toBe(false);
  });

  it('refuses what cannot become a system_id', () => {
    expect(() => normaliseSystemId('   ')).toThrow(/cannot derive/);
  });

  it('rejects upload ids with .. or a leading slash', () => {
    expect(UploadId.safeParse('20261128_120000_dev-box').success).toBe(true);
    expect(UploadId.safeParse('a..b').success).toBe(false);
    expect(UploadId.safeParse('/etc').success).toBe(false);
  });
});
