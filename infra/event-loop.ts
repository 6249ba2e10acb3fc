/**
 * Searches and bulk work (a writer's batches, the embed stage's chunks, live graph adds,
 * appends) share one event loop. Bulk work is cut into turns with `yieldToEventLoop()` in
 * between, and where searches come, the turns are paced so that they wait little:
 *
 * - While a search is in flight (`duringRead`), a turn waits until none is, so the search's
 *   steps (embedding, graph, rows, reply) run back to back instead of each one queueing
 *   behind a turn of every busy loop. The wait is bounded (READ_WAIT_MS); after a wait that
 *   reached the bound, turns run as long again without waiting, so a stream of searches
 *   slows ingest to half at most and never stops it.
 * - Within PACED_MS of a search, bulk turns run for BULK_PHASE_MS at most between two polls
 *   for I/O (one turn always runs), the others after the next poll: a request that arrived
 *   is read after a few milliseconds, not after a turn of every busy loop. A process nobody
 *   searches runs its turns unpaced.
 */
export const READ_WAIT_MS = 20;
export const BULK_PHASE_MS = 4;
export const PACED_MS = 1000;

let readsInFlight = 0;
/** until this time (performance.now()), bulk turns do not wait: their share after a long wait */
let bulkTurnUntil = 0;
let waiting: (() => void)[] = [];
let waitBound: NodeJS.Timeout | undefined;
/** performance.now() of the last search's start */
let lastReadAt = -Infinity;
/** when the first bulk turn since the last poll for I/O ran; undefined: none ran yet */
let phaseStarted: number | undefined;

/** A search started; the function returned ends it (calls after the first do nothing). */
export function readStarted(): () => void {
  readsInFlight++;
  lastReadAt = performance.now();
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    // the search's reply goes out first: it is written in the continuations that follow
    if (--readsInFlight === 0) setImmediate(releaseIfNoReads);
  };
}

/** Runs `work` as a search: bulk turns give way until it settles. */
export async function duringRead<T>(work: () => Promise<T>): Promise<T> {
  const readEnded = readStarted();
  try {
    return await work();
  } finally {
    readEnded();
  }
}

/**
 * Lets the event loop run what is waiting (a search request, a socket) before going on, and
 * gives searches in flight the loop first (bounded, see above).
 */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(() => bulkTurn(resolve)));

/** Runs in a setImmediate callback: `go` resolves a turn, whose work runs right after. */
function bulkTurn(go: () => void): void {
  const now = performance.now();
  if (now - lastReadAt < PACED_MS && !withinPhase(now))
    return void setImmediate(() => bulkTurn(go));
  if (readsInFlight === 0 || now < bulkTurnUntil) return go();
  waiting.push(go);
  waitBound ??= setTimeout(() => {
    bulkTurnUntil = performance.now() + READ_WAIT_MS;
    releaseBulk();
  }, READ_WAIT_MS);
}

/**
 * Whether this phase of setImmediate callbacks has bulk time left. Its first turn starts the
 * phase's clock and queues the reset, which runs first in the next phase, after the poll.
 */
function withinPhase(now: number): boolean {
  if (phaseStarted === undefined) {
    phaseStarted = now;
    setImmediate(() => (phaseStarted = undefined));
    return true;
  }
  return now - phaseStarted < BULK_PHASE_MS;
}

function releaseIfNoReads(): void {
  if (readsInFlight === 0) releaseBulk();
}

/** The waiting turns go on, paced like any other. */
function releaseBulk(): void {
  clearTimeout(waitBound);
  waitBound = undefined;
  const go = waiting;
  waiting = [];
  for (const resolve of go) setImmediate(() => bulkTurn(resolve));
}
