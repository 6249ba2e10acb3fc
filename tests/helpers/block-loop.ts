/** Holds the event loop for `ms`, as a long synchronous step elsewhere in a process does. */
export function blockLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
