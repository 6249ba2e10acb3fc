import { drainTogether, mergeReadiness, type Stage } from '../../app/stage';

/** A stage that records its calls in `log`; its stop waits until `release()`. */
function recorded(name: string, log: string[], opts: { failStart?: boolean } = {}) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const stage: Stage = {
    name,
    watched: [{ stream: 'S', consumer: name }],
    async start() {
      log.push(`start ${name}`);
      if (opts.failStart) throw new Error(`${name} failed to start`);
    },
    async stop() {
      log.push(`stop ${name}`);
      await released;
      log.push(`stopped ${name}`);
    },
  };
  return { stage, release };
}

describe('stages that drain together', () => {
  it('start in order, and all begin to drain before any has finished', async () => {
    const log: string[] = [];
    const a = recorded('a', log);
    const b = recorded('b', log);
    const group = drainTogether('consumers', [a.stage, b.stage]);
    expect(group.watched).toEqual([
      { stream: 'S', consumer: 'a' },
      { stream: 'S', consumer: 'b' },
    ]);
    await group.start();
    const stopping = group.stop();
    await Promise.resolve();
    expect(log).toEqual(['start a', 'start b', 'stop a', 'stop b']);
    b.release();
    a.release();
    await stopping;
    expect(log.slice(4).sort()).toEqual(['stopped a', 'stopped b']);
  });

  it('a start that fails is stopped with the ones before it; later ones never start', async () => {
    const log: string[] = [];
    const parts = [recorded('a', log), recorded('b', log, { failStart: true }), recorded('c', log)];
    parts.forEach((p) => p.release());
    const group = drainTogether(
      'consumers',
      parts.map((p) => p.stage),
    );
    await expect(group.start()).rejects.toThrow('b failed to start');
    await group.stop();
    expect(log.filter((l) => !l.startsWith('stopped'))).toEqual([
      'start a',
      'start b',
      'stop a',
      'stop b',
    ]);
  });

  it("settles its failure with the first of its stages' failures", async () => {
    let fail: (err: Error) => void = () => undefined;
    const failing: Stage = {
      ...recorded('w', []).stage,
      failure: new Promise<Error>((resolve) => (fail = resolve)),
    };
    const group = drainTogether('consumers', [recorded('a', []).stage, failing]);
    fail(new Error('writer lease lost'));
    expect((await group.failure)?.message).toBe('writer lease lost');
    expect(drainTogether('none', [recorded('a', []).stage]).failure).toBeUndefined();
  });

  it("is ready while none holds readiness back, with the stages' reports merged", () => {
    const report = (ready: boolean, fields: object): Stage => ({
      ...recorded('r', []).stage,
      ready: () => ({ ready, report: fields }),
    });
    const quiet = recorded('q', []).stage;
    expect(mergeReadiness([quiet, report(true, { tierRecoveryPending: [] })])).toEqual({
      ready: true,
      report: { tierRecoveryPending: [] },
    });
    expect(mergeReadiness([report(true, {}), report(false, { reason: 'lease lost' })])).toEqual({
      ready: false,
      report: { reason: 'lease lost' },
    });
  });
});
