import type { Command } from 'commander';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { AuditQuery, auditCli, listAuditEvents } from '../audit';
import { loadConfig, natsConnectOptions } from '../infra';

interface ListFlags {
  since?: string;
  principal?: string;
  action?: string;
  limit?: string;
}

/** `akosha audit list`: the audit trail, one JSON line per event, oldest first. */
export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('read the audit trail (AKOSHA_AUDIT)')
    .command('list')
    .description('events from --since on (default: the last 24 hours), one JSON line each')
    .option('--since <time>', 'ISO-8601 time, or an age like 90m, 12h, 7d')
    .option('--principal <name>', 'only this principal (cli:<user> for the CLI)')
    .option('--action <action>', 'this action and the ones under it: dlq, dlq.purge, mcp, auth')
    .option('--limit <n>', 'at most this many events (1..1000, default 100)')
    .action((flags: ListFlags) => runAuditList(flags));
}

async function runAuditList(flags: ListFlags): Promise<void> {
  const parsed = AuditQuery.safeParse(flags);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid filters:\n  ${lines.join('\n  ')}`);
  }
  const config = loadConfig();
  const { principal, action, since, limit } = parsed.data;
  // reading the trail is an admin action too, recorded like GET /api/v1/audit
  const what = { action: 'audit.list', detail: { principal, action, since, limit } };
  await auditCli(config, what, async () => {
    const nc = await connect(natsConnectOptions(config.nats, { name: 'akosha-audit' }));
    try {
      const page = await listAuditEvents(jetstream(nc), parsed.data);
      for (const event of page.events) console.log(JSON.stringify(event));
      if (page.truncated) {
        const last = page.events.at(-1);
        console.error(`more events: raise --limit or pass --since ${last?.at ?? ''}`);
      }
    } finally {
      await nc.close();
    }
  });
}
