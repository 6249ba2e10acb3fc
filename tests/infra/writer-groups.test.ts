import { ConfigError, groupsOfOrdinal, loadConfig } from '../../infra/config';
import { ordinalGroupSets, podOrdinal } from '../../infra/writer-groups';

/** group → ordinal of its writer */
const ownerOf = (sets: number[][]) => {
  const owner = new Map<number, number>();
  sets.forEach((groups, ordinal) => groups.forEach((g) => owner.set(g, ordinal)));
  return owner;
};

describe('writer groups by StatefulSet ordinal', () => {
  it('gives the default 16 groups to 1 to 5 writers as docs/kubernetes.md lists them', () => {
    expect(ordinalGroupSets(1, 16)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    ]);
    expect(ordinalGroupSets(2, 16)).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ]);
    expect(ordinalGroupSets(3, 16)).toEqual([
      [0, 1, 2, 3, 4],
      [8, 9, 10, 11, 12, 13],
      [5, 6, 7, 14, 15],
    ]);
    expect(ordinalGroupSets(4, 16)).toEqual([
      [0, 1, 2, 3],
      [8, 9, 10, 11],
      [5, 6, 7, 14],
      [4, 12, 13, 15],
    ]);
    expect(ordinalGroupSets(5, 16)).toEqual([
      [0, 1, 2],
      [8, 9, 10],
      [5, 6, 7],
      [4, 12, 13, 15],
      [3, 11, 14],
    ]);
  });

  it.each([16, 64, 256])(
    'with %i groups: every group owned once, shares within one, group 0 on writer 0',
    (groupCount) => {
      for (let replicas = 1; replicas <= Math.min(groupCount, 40); replicas++) {
        const sets = ordinalGroupSets(replicas, groupCount);
        expect(sets).toHaveLength(replicas);
        expect(sets.flat().sort((a, b) => a - b)).toEqual([...Array(groupCount).keys()]);
        const sizes = sets.map((s) => s.length);
        expect(Math.min(...sizes)).toBe(Math.floor(groupCount / replicas));
        expect(Math.max(...sizes)).toBe(Math.ceil(groupCount / replicas));
        expect(sets[0]).toContain(0);
      }
    },
  );

  it('moves only the added writer’s groups, and each to that writer, when one is added', () => {
    for (let replicas = 1; replicas < 16; replicas++) {
      const before = ownerOf(ordinalGroupSets(replicas, 16));
      const after = ownerOf(ordinalGroupSets(replicas + 1, 16));
      const moved = [...before.keys()].filter((g) => before.get(g) !== after.get(g));
      expect(moved.every((g) => after.get(g) === replicas)).toBe(true);
      expect(moved).toHaveLength(Math.floor(16 / (replicas + 1)));
    }
  });

  it('reads the ordinal from a pod name', () => {
    expect(podOrdinal('writer-0')).toBe(0);
    expect(podOrdinal('akosha-writer-12')).toBe(12);
    expect(podOrdinal('writer')).toBeUndefined();
    expect(podOrdinal('writer-1a')).toBeUndefined();
  });

  it('is picked by AKOSHA_WRITER_GROUPS=ordinal with the pod name and replica count', () => {
    const env = { AKOSHA_WRITER_GROUPS: 'ordinal', AKOSHA_WRITER_REPLICAS: '4' };
    expect(loadConfig({ ...env, AKOSHA_POD_NAME: 'writer-3' }).writer.groups).toEqual([
      4, 12, 13, 15,
    ]);
    expect(
      loadConfig({ ...env, AKOSHA_POD_NAME: 'writer-1', AKOSHA_SHARD_GROUPS: '8' }).writer.groups,
    ).toEqual([4, 5]);
  });

  it('refuses a pod name without an ordinal, a missing or too large count, an ordinal past it', () => {
    expect(() => groupsOfOrdinal('', 4, 16)).toThrow(/AKOSHA_POD_NAME ending in -<ordinal>/);
    expect(() => groupsOfOrdinal('writer-0', undefined, 16)).toThrow(/AKOSHA_WRITER_REPLICAS/);
    expect(() => groupsOfOrdinal('writer-0', 17, 16)).toThrow(ConfigError);
    expect(() => groupsOfOrdinal('writer-4', 4, 16)).toThrow(/between 5 \(pod writer-4\)/);
  });
});
