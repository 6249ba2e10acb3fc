import './threadpool-size';
import { Command } from 'commander';
import { ALL_ROLES, type Role } from '../app';
import { loadConfig, type NatsClientSettings } from '../infra';
import { registerAuditCommands } from './audit';
import { registerImportCommand } from './import-session-buddy';
import { registerModelCommands } from './model';
import { registerNatsAuthCommands } from './nats-auth';
import { registerReplayCommands } from './replay';
import { registerReembedCommand } from './reembed';
import { registerRestoreCommand } from './restore';
import { runPublish } from './publish';
import { runApplyStreams } from './streams';
import { parseRoles, runStart } from './start';
import { registerTokenCommands } from './token';

const program = new Command('akosha').description(
  'Memory aggregation for AI coding sessions on NATS JetStream',
);
/** The configured NATS client settings; `--creds FILE` stands in for AKOSHA_NATS_CREDS. */
const natsClient = (creds?: string): NatsClientSettings => {
  const { nats } = loadConfig();
  return creds === undefined ? nats : { ...nats, auth: { creds, user: '', password: '' } };
};
const FORCE_HELP =
  'lower stream replicas and limits that the server holds higher (also AKOSHA_STREAMS_FORCE=true)';

program
  .command('start')
  .description('run the pipeline (all stages by default) until SIGTERM')
  .option('--roles <roles>', `comma-separated: ${ALL_ROLES.join(',')}`, ALL_ROLES.join(','))
  .option('--force', FORCE_HELP)
  .action((opts: { roles: string; force?: boolean }) =>
    runStart(parseRoles(opts.roles), { force: opts.force === true }),
  );

const ROLE_DESCRIPTIONS: Record<Role, string> = {
  ingest: 'embed stage only: validate, embed, hand over to the shard writers',
  writer: 'shard writers only (AKOSHA_WRITER_GROUPS): write DuckDB shards, announce uploads',
  api: 'HTTP API only',
  scheduler: 'periodic jobs only: through Mahavishnu, or locally while it is away',
  cloud: 'the Session-Buddy bucket watcher only (AKOSHA_SB_BUCKET)',
};
for (const role of ALL_ROLES.filter((r) => r !== 'cloud')) {
  program
    .command(role)
    .description(ROLE_DESCRIPTIONS[role])
    .action(() => runStart([role]));
}

program
  .command('cloud-watch')
  .description(ROLE_DESCRIPTIONS.cloud + ': import each upload found there once')
  .action(() => {
    if (!loadConfig().cloud)
      throw new Error('AKOSHA_SB_BUCKET is not set: name the bucket Session-Buddy uploads to');
    return runStart(['cloud']);
  });

program
  .command('publish <upload.json>')
  .description('publish one upload (akosha.upload.v1 JSON) and wait for the broker ack')
  .option('--creds <file>', 'NATS nkey seed or .creds file (default AKOSHA_NATS_CREDS)')
  .action((file: string, opts: { creds?: string }) => runPublish(file, natsClient(opts.creds)));

registerImportCommand(program, { nats: natsClient });
registerModelCommands(program);
registerReplayCommands(program);
registerRestoreCommand(program);
registerNatsAuthCommands(program);
registerReembedCommand(program);
registerAuditCommands(program);
registerTokenCommands(program);

program
  .command('streams')
  .description('create or update the streams and durable consumers, then exit')
  .option('--force', FORCE_HELP)
  .action((opts: { force?: boolean }) => runApplyStreams({ force: opts.force === true }));

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
