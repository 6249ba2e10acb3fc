import { READ_WAIT_MS, readStarted, yieldToEventLoop } from '../../infra/event-loop';

/** Starts a yield and reports whether it has resolved. */
function startYield(): { done: () => boolean } {
  let resolved = false;
  void yieldToEventLoop().then(() => (resolved = true));
  return { done: () => resolved };
}

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
