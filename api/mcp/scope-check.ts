import { type AccessRole, canAccessSystem, type Principal } from '../../auth';
import { forbidden } from './jsonrpc';

/** Refuses the call (FORBIDDEN, naming the system) when one of `systems` is outside the scope. */
export function assertInScope(
  principal: Principal,
  systems: Iterable<string>,
  need: AccessRole,
): void {
  for (const system of systems) {
    if (!canAccessSystem(principal, system)) throw forbidden(need, system);
  }
}
