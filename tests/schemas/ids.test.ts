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
