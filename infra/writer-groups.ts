/**
 * Shard groups of the writers of a Kubernetes StatefulSet (`AKOSHA_WRITER_GROUPS=ordinal`):
 * each pod derives its own from its ordinal and the replica count, with no coordination.
 *
 * The rule is incremental: one writer holds every group; each writer added takes
 * ⌊groups / writers⌋ of them, one at a time from the writer holding the most (the lowest
 * ordinal on a tie), each time that writer's highest group. So going from n to n + 1 writers
 * moves only the groups the new writer takes (the fewest any balanced rule can move), and
 * going back returns exactly those: a StatefulSet adds and removes its highest ordinal. Every
 * writer holds ⌊groups / writers⌋ or ⌈groups / writers⌉ groups, and writer 0 keeps group 0.
 */
export function ordinalGroupSets(replicas: number, groupCount: number): number[][] {
  const owned = [Array.from({ length: groupCount }, (_, g) => g)];
  for (let writers = 2; writers <= replicas; writers++) {
    const taken: number[] = [];
    for (let n = Math.floor(groupCount / writers); n > 0; n--) taken.push(largest(owned).pop()!);
    owned.push(taken.sort((a, b) => a - b));
  }
  return owned;
}

/** The first of the writers holding the most groups. */
function largest(owned: number[][]): number[] {
  return owned.reduce((most, groups) => (groups.length > most.length ? groups : most));
}

/** The ordinal of a StatefulSet pod: the number after its name's last `-`; undefined without one. */
export function podOrdinal(podName: string): number | undefined {
  const match = /-(\d+)$/.exec(podName);
  return match ? Number(match[1]) : undefined;
}
