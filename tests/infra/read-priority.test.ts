import { ReadPriority, writeSteps } from '../../infra/read-priority';

/** Lets every callback already queued run (a few turns of the event loop). */
const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
};

function watch(p: Promise<void>): { done: () => boolean } {
  let done = false;
  void p.then(() => (done = true));
  return { done: () => done };
}

describe('ReadPriority', () => {
  it('lets a write step go on at once while no read is in flight', async () => {
    const priority = new ReadPriority(60_000);
    const step = watch(priority.yieldToReads());
    await settle();
    expect(step.done()).toBe(true);
  });

  it('holds a write step until the reads in flight are answered', async () => {
    const priority = new ReadPriority(60_000);
    const endFirst = priority.begin();
    const endSecond = priority.begin();
    const step = watch(priority.yieldToReads());
    await settle();
    expect(step.done()).toBe(false);
    endFirst();
    endFirst(); // ending twice counts once
    await settle();
    expect(priority.reads).toBe(1);
    expect(step.done()).toBe(false);
    endSecond();
    await settle();
    expect(step.done()).toBe(true);
  });

  it('lets waiting steps go on one per turn of the event loop, I/O between them', async () => {
    const priority = new ReadPriority(60_000);
    const steps = [1, 2, 3].map(() => watch(priority.yieldToReads()));
    const done = () => steps.filter((s) => s.done()).length;
    await new Promise<void>((r) => setImmediate(r));
    expect(done()).toBe(1);
    await new Promise<void>((r) => setImmediate(r));
    expect(done()).toBe(2);
    const end = priority.begin(); // a search arrives: the third step waits for it
    await settle();
    expect(done()).toBe(2);
    end();
    await settle();
    expect(done()).toBe(3);
  });

  it('lets a write step go on after maxWaitMs when reads never pause', async () => {
    const priority = new ReadPriority(30);
    priority.begin();
    const started = performance.now();
    await priority.yieldToReads();
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(priority.reads).toBe(1);
  });

  it('tracks a read while its promise is pending, also when it fails', async () => {
    const priority = new ReadPriority(60_000);
    let fail: (err: Error) => void = () => undefined;
    const read = priority.track(() => new Promise<void>((_, reject) => (fail = reject)));
    expect(priority.reads).toBe(1);
    fail(new Error('gone'));
    await expect(read).rejects.toThrow('gone');
    expect(priority.reads).toBe(0);
  });
});

describe('writeSteps', () => {
  it('yields to a search in flight once a step has run its time, not before', async () => {
    const priority = new ReadPriority(60_000);
    const step = writeSteps(priority, 5);
    const end = priority.begin();
    const first = watch(step()); // the step has just started: no yield
    await settle();
    expect(first.done()).toBe(true);
    const until = performance.now() + 6;
    while (performance.now() < until); // a step's worth of work
    const second = watch(step());
    await settle();
    expect(second.done()).toBe(false);
    end();
    await settle();
    expect(second.done()).toBe(true);
  });
});
