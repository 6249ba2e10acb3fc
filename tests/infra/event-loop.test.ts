import { BULK_PHASE_MS, READ_WAIT_MS, readStarted, yieldToEventLoop } from '../../infra/event-loop';

/** Starts a yield and reports whether it has resolved. */
function startYield(): { done: () => boolean } {
  let resolved = false;
  void yieldToEventLoop().then(() => (resolved = true));
  return { done: () => resolved };
}

// first in the file: its first case needs a process in which no search ran yet
describe('bulk turns between two polls of the event loop', () => {
  const busyFor = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  /**
   * Twelve busy loops of turns of BULK_PHASE_MS / 2; a timer fires once per iteration of the
   * event loop: the most turns that ran between two of its firings. `eachIteration` runs
   * at each firing.
   */
  async function mostTurnsPerIteration(eachIteration: () => void): Promise<number> {
    let turns = 0;
    let stopped = false;
    const busyLoop = async () => {
      while (!stopped) {
        await yieldToEventLoop();
        busyFor(BULK_PHASE_MS / 2);
        turns++;
      }
    };
    const between: number[] = [];
    const done = new Promise<void>((resolve) => {
      let last = 0;
      const tick = () => {
        eachIteration();
        between.push(turns - last);
        last = turns;
        if (between.length < 30) setTimeout(tick, 0);
        else resolve();
      };
      setTimeout(tick, 0);
    });
    const loops = Array.from({ length: 12 }, busyLoop);
    await done;
    stopped = true;
    await Promise.all(loops);
    return Math.max(...between.slice(1));
  }

  it('run unpaced in a process nobody searches: a turn of every loop', async () => {
    expect(await mostTurnsPerIteration(() => undefined)).toBeGreaterThanOrEqual(12);
  });

  it('run for BULK_PHASE_MS and one turn more at most while searches come', async () => {
    // a search started and answered at each iteration: none in flight when the turns run
    const searched = () => readStarted()();
    // the turns that start within BULK_PHASE_MS of an iteration's first: 2 here
    expect(await mostTurnsPerIteration(searched)).toBeLessThanOrEqual(3);
  });
});

describe('yieldToEventLoop gives searches in flight the loop first', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(async () => {
    await jest.runAllTimersAsync(); // the pacing's own callbacks too: no state left over
    jest.useRealTimers();
  });
  /** Runs the callbacks due now, and those they queue for the next turns. */
  const nextTurns = () => jest.advanceTimersByTimeAsync(2);

  it('resolves after one turn when no search is in flight', async () => {
    const turn = startYield();
    expect(turn.done()).toBe(false);
    await nextTurns();
    expect(turn.done()).toBe(true);
  });

  it('waits while a search is in flight and goes on when it ends', async () => {
    const readEnded = readStarted();
    const turn = startYield();
    await jest.advanceTimersByTimeAsync(READ_WAIT_MS / 2);
    expect(turn.done()).toBe(false);
    readEnded();
    await nextTurns();
    expect(turn.done()).toBe(true);
  });

  it('waits for the last of several searches', async () => {
    const first = readStarted();
    const second = readStarted();
    const turn = startYield();
    await nextTurns();
    first();
    first(); // ending twice counts once
    await nextTurns();
    expect(turn.done()).toBe(false);
    second();
    await nextTurns();
    expect(turn.done()).toBe(true);
  });

  it('waits at most READ_WAIT_MS, then lets bulk work run as long without waiting', async () => {
    const readEnded = readStarted();
    const waited = startYield();
    await jest.advanceTimersByTimeAsync(READ_WAIT_MS - 2);
    expect(waited.done()).toBe(false);
    await jest.advanceTimersByTimeAsync(4);
    expect(waited.done()).toBe(true);

    const bulkShare = startYield();
    await nextTurns();
    expect(bulkShare.done()).toBe(true);

    await jest.advanceTimersByTimeAsync(READ_WAIT_MS);
    const waitsAgain = startYield();
    await nextTurns();
    expect(waitsAgain.done()).toBe(false);
    readEnded();
    await nextTurns();
    expect(waitsAgain.done()).toBe(true);
  });
});
