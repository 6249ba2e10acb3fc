/**
 * Named kill points for the fault tests (AKOSHA_FAULT_POINT, test-only). A process
 * armed with `after-commit@3` SIGKILLs itself the third time it reaches that point,
 * so a test can stop it exactly between two steps whose order matters.
 */
let armed: { point: string; remaining: number } | undefined;

/** Called once at start with the parsed setting; null disarms. */
export function armFaultPoint(spec: { point: string; hits: number } | null): void {
  armed = spec ? { point: spec.point, remaining: spec.hits } : undefined;
}

/** A no-op unless this process was armed at this point. */
export function hitFaultPoint(point: string): void {
  if (armed?.point !== point) return;
  if (--armed.remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}

/** `point` or `point@hits` → the armed form; empty → null. */
export function parseFaultPoint(spec: string): { point: string; hits: number } | null {
  if (!spec) return null;
  const [point, hits = '1'] = spec.split('@') as [string, string?];
  return { point, hits: Number(hits) };
}

/** Text of a record that kills a process armed at `poison` when its writer handles it. */
export const POISON_TEXT = 'akosha-fault:poison';

/** A no-op unless armed at `poison` and one of the texts carries POISON_TEXT. */
export function hitPoisonPoint(texts: () => Iterable<string>): void {
  if (armed?.point !== 'poison') return;
  for (const text of texts()) if (text.includes(POISON_TEXT)) hitFaultPoint('poison');
}
