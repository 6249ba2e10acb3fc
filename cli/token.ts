import type { Command } from 'commander';
import {
  ACCESS_ROLES,
  type AccessRole,
  createToken,
  listTokens,
  revokeToken,
  type TokenSummary,
} from '../auth';
import { auditCli } from '../audit';
import { loadConfig } from '../infra';

const tokensFile = (): string => loadConfig().auth.tokensFile;
const collect = (value: string, previous: string[]): string[] => [...previous, value];
const systemsText = (systems: TokenSummary['systems']): string =>
  systems === '*' ? '* (all systems)' : systems.join(',') || '(none)';

/**
 * `akosha token create|list|revoke`: static bearer tokens in AKOSHA_AUTH_TOKENS_FILE. Only a
 * token's sha256 is stored; `create` prints the token once, on its last line, for scripts to take.
 */
export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('static bearer tokens for HTTP and MCP');

  token
    .command('create')
    .description('create a token; it is printed once, on the last line')
    .requiredOption('--name <name>', 'principal name (unique)')
    .requiredOption('--role <role>', `one of ${ACCESS_ROLES.join(', ')}`)
    .option(
      '--system <id>',
      'a system it may see and write (repeat); none: all systems',
      collect,
      [],
    )
    .action(async (opts: { name: string; role: string; system: string[] }) => {
      const config = loadConfig();
      const what = { action: 'token.create', detail: tokenDetail(opts) };
      const token = await auditCli(config, what, () => createAndDescribe(opts));
      console.log(token); // after the audit's own warnings, so that it is the very last line
    });

  token
    .command('list')
    .description('list tokens: name, role, systems, created (never the token or its hash)')
    .option('--json', 'one JSON document')
    .action((opts: { json?: boolean }) =>
      auditCli(loadConfig(), { action: 'token.list' }, () => printTokens(opts)),
    );

  token
    .command('revoke <name>')
    .description('delete a token; a running server refuses it within a second or two')
    .action((name: string) =>
      auditCli(loadConfig(), { action: 'token.revoke', detail: { name } }, () => {
        const file = tokensFile();
        revokeToken(file, name);
        console.log(`revoked token "${name}" in ${file}`);
      }),
    );
}

function printTokens(opts: { json?: boolean }): void {
  const tokens = listTokens(tokensFile());
  if (opts.json) {
    console.log(JSON.stringify({ tokens }));
    return;
  }
  if (tokens.length === 0) {
    console.log('no tokens');
    return;
  }
  for (const t of tokens)
    console.log(`${t.name}\t${t.role}\t${systemsText(t.systems)}\t${t.created_at}`);
}

const tokenDetail = (opts: { name: string; role: string; system: string[] }) => ({
  name: opts.name,
  role: opts.role,
  systems: opts.system.length === 0 ? '*' : opts.system,
});

/** Creates the token and says what was created; returns the token, for the caller to print. */
function createAndDescribe(opts: { name: string; role: string; system: string[] }): string {
  if (!ACCESS_ROLES.includes(opts.role as AccessRole))
    throw new Error(`--role: "${opts.role}" is not one of ${ACCESS_ROLES.join(', ')}`);
  const file = tokensFile();
  const systems = opts.system.length === 0 ? '*' : opts.system;
  const created = createToken(file, {
    name: opts.name,
    role: opts.role as AccessRole,
    systems,
  });
  console.log(
    `created token "${created.entry.name}": role ${created.entry.role}, systems ${systemsText(created.entry.systems)}`,
  );
  console.log(`stored (as a sha256 hash) in ${file}; it cannot be shown again`);
  return created.token;
}
