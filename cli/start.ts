import { ALL_ROLES, Pipeline, type Role } from '../app';
import { armFaultPoint, createLogger, exitProcess, loadConfig } from '../infra';

/**
 * Runs the given stages until SIGTERM/SIGINT, then drains and exits. `force` lets the
 * stream update lower replicas and limits that the server holds higher.
 */
export async function runStart(
  roles: Role[] = ALL_ROLES,
  opts: { force?: boolean } = {},
): Promise<void> {
  const config = loadConfig();
  if (opts.force) config.streams.force = true;
  armFaultPoint(config.faultPoint);
  const log = createLogger(config.logLevel);
  const pipeline = await Pipeline.start(config, roles, log);
  log.info({ roles, http: pipeline.httpAddress, dataDir: config.dataDir }, 'akosha started');
  const shutdown = (signal: string) => {
    log.info({ signal }, 'draining');
    pipeline.close().then(
      () => exitProcess(0, log),
      (err) => {
        log.error({ err }, 'shutdown failed');
        return exitProcess(1, log);
      },
    );
  };
  // a writer that lost its lease closes and exits 1, so that a supervisor restarts it
  void pipeline.failure.then((err) => {
    log.error({ err: err.message }, 'stopping');
    void pipeline.close().finally(() => exitProcess(1, log));
  });
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export function parseRoles(spec: string): Role[] {
  const roles = spec.split(',').map((r) => r.trim());
  const unknown = roles.filter((r) => !ALL_ROLES.includes(r as Role));
  if (unknown.length)
    throw new Error(`unknown role(s) ${unknown.join(', ')}; roles are ${ALL_ROLES.join(', ')}`);
  return roles as Role[];
}
