import { Command } from 'commander';
import { loadConfig } from '../infra/config';
import { registerImportCommand } from './import-session-buddy';
import { runPublish } from './publish';
import { runApplyStreams } from './streams';
import { parseRoles, runStart } from './start';

const program = new Command('akosha').description(
  'Memory aggregation for AI coding sessions on NATS JetStream',
);
const natsUrl = () => loadConfig().nats.url;

program
  .command('start')
  .description('run the pipeline (all stages by default) until SIGTERM')
  .option('--roles <roles>', 'comma-separated: ingest,writer,api', 'ingest,writer,api')
  .action((opts: { roles: string }) => runStart(parseRoles(opts.roles)));

for (const role of ['ingest', 'writer', 'api'] as const) {
  program
    .command(role)
    .description(`run only the ${role} stage`)
    .action(() => runStart([role]));
}

program
  .command('publish <upload.json>')
  .description('publish one upload (akosha.upload.v1 JSON) and wait for the broker ack')
  .action((file: string) => runPublish(file, natsUrl()));

registerImportCommand(program, { natsUrl });

program
  .command('streams')
  .description('create or update the streams and durable consumers, then exit')
  .action(() => runApplyStreams());

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
