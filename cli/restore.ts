import type { Command } from 'commander';
import { auditCli } from '../audit';
import { loadConfig } from '../infra';
import { shardOf, SystemId } from '../schemas';
import { HotStore, openTiers } from '../storage';
import { embedderModelId } from '../embedding';
import { refuseOwnedShardsAt } from '../operations';

/**
 * `akosha restore --system ID [--since T]`: brings a system's warm and cold records
 * back to hot. It opens the shard files itself, so it refuses while a live writer owns them.
 */
export function registerRestoreCommand(program: Command): void {
  program
    .command('restore')
    .description(
      'bring warm and cold records of a system back to the hot tier (run while no writer owns its shard)',
    )
    .requiredOption('--system <id>', 'system_id whose records come back')
    .option('--since <time>', 'only records at or after this ISO time')
    .action((opts: { system: string; since?: string }) =>
      auditCli(
        loadConfig(),
        { action: 'restore', target: { system: opts.system }, detail: { since: opts.since } },
        () => restore(opts),
      ),
    );
}

async function restore(opts: { system: string; since?: string }): Promise<void> {
  const parsed = SystemId.safeParse(opts.system);
  if (!parsed.success) throw new Error(`--system: ${parsed.error.issues[0]?.message}`);
  const systemId = parsed.data;
  const since = opts.since ? new Date(opts.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new Error(`--since: not a time: ${opts.since}`);
  const config = loadConfig();
  await refuseOwnedShardsAt(config.nats, {
    command: 'akosha restore',
    shards: [shardOf(systemId)],
    shardGroups: config.streams.shardGroups,
  });
  const store = await HotStore.open(config.writer.hotDir, {
    ...config.writer,
    model: embedderModelId(config.embedder),
  });
  const mover = await openTiers(store, config.aging);
  try {
    await mover.recover();
    console.log(JSON.stringify({ system_id: systemId, ...(await mover.restore(systemId, since)) }));
  } finally {
    await mover.close();
    await store.close();
  }
}
