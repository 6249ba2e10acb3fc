import { resolve } from 'node:path';
import type { Command } from 'commander';
import { auditCli } from '../audit';
import { loadConfig } from '../infra';
import { addSystem, initNatsAuth } from '../auth';

const OUT_HELP = 'directory of auth.conf, users.json and the seeds (mode 0700)';

/** `akosha nats-auth init|add-system`: nkey users and their rights for nats-server. */
export function registerNatsAuthCommands(program: Command): void {
  const natsAuth = program
    .command('nats-auth')
    .description('generate nats-server users: Akosha services, a reader, one user per system');
  natsAuth
    .command('init')
    .description('write auth.conf, users.json, akosha.nk (services) and reader.nk')
    .requiredOption('--out <dir>', OUT_HELP)
    .action((opts: { out: string }) =>
      auditCli(
        loadConfig(),
        { action: 'nats_auth.init', detail: { out: resolve(opts.out) } },
        () => {
          const result = initNatsAuth(opts.out);
          console.log(`wrote ${result.authConf}`);
          console.log(`Akosha services: AKOSHA_NATS_CREDS=${result.serviceSeed}`);
          console.log(
            `downstream reader: ${result.readerSeed} (may only consume akosha.ingested.>)`,
          );
          printServerSteps(result.authConf);
        },
      ),
    );
  natsAuth
    .command('add-system <id>')
    .description(
      'add a user that may publish only the uploads, graph and run audit events of system <id>; rewrites auth.conf',
    )
    .requiredOption('--out <dir>', OUT_HELP)
    .action((id: string, opts: { out: string }) =>
      auditCli(
        loadConfig(),
        {
          action: 'nats_auth.add_system',
          target: { system: id },
          detail: { out: resolve(opts.out) },
        },
        () => {
          const result = addSystem(opts.out, id);
          console.log(`system ${id}: ${result.seedFile}`);
          console.log(`  publish with: akosha publish --creds ${result.seedFile} <upload.json>`);
          console.log(
            `  other clients must take replies on ${result.inboxPrefix} (nats.js inboxPrefix, nats-py inbox_prefix)`,
          );
          printServerSteps(result.authConf);
        },
      ),
    );
}

function printServerSteps(authConf: string): void {
  console.log(
    `nats.conf needs the line: include "<path of ${resolve(authConf)} relative to nats.conf's folder>"` +
      ' (nats-server reads include paths from that folder; absolute paths do not work)',
  );
  console.log(
    'a running server picks the change up on reload: nats-server --signal reload (or kill -HUP <pid>)',
  );
}
