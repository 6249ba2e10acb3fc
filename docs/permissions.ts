/**
 * Writes the permission matrix of auth/permissions.ts into README.md, between the
 * `permissions:start` and `permissions:end` markers: `npm run docs:permissions`. A test runs
 * it with `--check`, which fails when the README's tables are not what the code says.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS_ROUTES, ROUTE_PERMISSIONS, TOOL_PERMISSIONS, type Need } from '../auth';

export const README = join(__dirname, '..', 'README.md');
const START = '<!-- permissions:start (npm run docs:permissions) -->';
const END = '<!-- permissions:end -->';
const NEEDS: Need[] = ['public', 'reader', 'writer', 'operator', 'admin'];

const code = (s: string) => `\`${s}\``;

function routesNeeding(need: Need): string[] {
  return Object.entries(ROUTE_PERMISSIONS)
    .filter(([, n]) => n === need)
    .map(([route]) => route);
}

/** A route's need, with when it turns public or hands over to its MCP tools. */
function needOf(route: string, need: Need): string {
  if (need === 'public') return 'nothing';
  if (METRICS_ROUTES.includes(route))
    return `${need} (nothing with \`AKOSHA_METRICS_PUBLIC=true\`)`;
  if (route.includes(' /mcp')) return `${need}, then each tool its own role`;
  return need;
}

/** The two tables: every route, then every MCP tool, by the role it needs. */
export function permissionTables(): string {
  const routeRows = NEEDS.flatMap((need) =>
    routesNeeding(need).map((route) => `| ${code(route)} | ${needOf(route, need)} |`),
  );
  const toolRows = NEEDS.map(
    (need) =>
      [need, Object.keys(TOOL_PERMISSIONS).filter((t) => TOOL_PERMISSIONS[t] === need)] as const,
  )
    .filter(([, tools]) => tools.length > 0)
    .map(([need, tools]) => `| ${need} | ${tools.map(code).join(', ')} |`);
  return [
    '| route | needs |',
    '| --- | --- |',
    ...routeRows,
    '',
    '| needs | MCP tools |',
    '| --- | --- |',
    ...toolRows,
  ].join('\n');
}

/** The README with its permission block as the code says. */
export function readmeWithPermissions(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start + START.length)}\n\n${permissionTables()}\n\n${readme.slice(end)}`;
}

/** The README with its permission block as the code says, formatted as prettier leaves it. */
export async function formattedReadme(): Promise<string> {
  const { format, resolveConfig } = await import('prettier'); // it cannot load under jest
  const options = (await resolveConfig(README)) ?? {};
  return format(readmeWithPermissions(readFileSync(README, 'utf8')), {
    ...options,
    filepath: README,
  });
}

/** `--check`: exit 1 when the README's tables differ from the code's, instead of writing. */
async function main(check: boolean): Promise<void> {
  const text = await formattedReadme();
  if (check) {
    if (text !== readFileSync(README, 'utf8')) {
      console.error('README.md: the permission tables are stale (npm run docs:permissions)');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(README, text);
  console.log(`written: the permission tables of ${README}`);
}

if (require.main === module) void main(process.argv.includes('--check'));
