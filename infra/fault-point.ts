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
