import { userInfo } from 'node:os';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { createLogger, type NatsClientSettings, natsConnectOptions } from '../infra';
import { type SystemAuditAction, subjects } from '../streams';
import type { AuditEvent, AuditResult } from './event';
import { NatsAuditSink } from './publisher';

export type CliAction =
  | {
      /** dotted, lower case: `dlq.purge`, `token.create` */
      action: string;
      target?: NonNullable<AuditEvent['target']>;
      detail?: Record<string, unknown>;
    }
  | {
      action: SystemAuditAction;
      /**
       * the system whose data the run publishes: the event goes to
       * `akosha.audit.<action>.<system>`, which that system's own NATS user may publish
       */
      ofSystem: string;
      target?: NonNullable<AuditEvent['target']>;
      detail?: Record<string, unknown>;
    };

/** The connection the CLI records with: the command's own server and credentials. */
export interface CliAuditSettings {
  nats: NatsClientSettings;
}

/** `cli:<os user>`: who ran the command on this machine. */
export function cliPrincipal(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return `cli:uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

/**
 * Runs a CLI action and then records it (ok or error) in AKOSHA_AUDIT as the OS user, with
 * the admin role (the CLI acts with the host's own rights). The action's outcome stands
 * whatever happens to its audit event: a server that cannot be reached gets a warning.
 * `what` may be a function, asked once the action ended, for what only the run knows.
 */
export async function auditCli<T>(
  config: CliAuditSettings,
  what: CliAction | (() => CliAction),
  fn: () => Promise<T> | T,
): Promise<T> {
  let result: AuditResult = 'error';
  try {
    const value = await fn();
    result = 'ok';
    return value;
  } finally {
    await recordCliEvent(config, typeof what === 'function' ? what() : what, result);
  }
}

async function recordCliEvent(config: CliAuditSettings, what: CliAction, result: AuditResult) {
  // a failed publish is reported below, on stderr: stdout is the command's own output
  const log = createLogger('silent');
  let dropped = false;
  try {
    const options = { name: 'akosha-cli-audit', maxReconnectAttempts: 0, timeout: 3000 };
    const nc = await connect(natsConnectOptions(config.nats, options));
    try {
      const sink = new NatsAuditSink({
        js: jetstream(nc),
        log,
        attempts: 2,
        dropped: { inc: () => void (dropped = true) },
        publishTimeoutMs: 3000,
        ...('ofSystem' in what && {
          subjectOf: () => subjects.auditOfSystem(what.action, what.ofSystem),
        }),
      });
      sink.record({
        principal: cliPrincipal(),
        role: 'admin',
        source: 'cli',
        result,
        ...eventFields(what),
      });
      await sink.flush();
      if (dropped) throw new Error('the server did not acknowledge it');
    } finally {
      await nc.close();
    }
  } catch (err) {
    process.stderr.write(
      `warning: audit event ${what.action} not recorded (${(err as Error).message})\n`,
    );
  }
}

/** The event's own fields: a system's run names its system in the target. */
function eventFields(what: CliAction): Omit<CliAction, 'ofSystem'> {
  if (!('ofSystem' in what)) return what;
  const { ofSystem, target, ...rest } = what;
  return { ...rest, target: { system: ofSystem, ...target } };
}
