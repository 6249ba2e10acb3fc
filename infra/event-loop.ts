/**
 * Lets the event loop run what is waiting (a search request, a socket) before going on:
 * long synchronous work on a busy writer is cut into turns with this in between.
 */
export const yieldToEventLoop = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));
