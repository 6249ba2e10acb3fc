/**
 * One Akosha process: the stages each role runs, started in order and drained together.
 * Exports the Pipeline and the process roles.
 */

export { Pipeline } from './pipeline';
export { ALL_ROLES } from './roles';
export type { Role } from './roles';
