import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { permissionTables } from '../../docs/permissions';
import { ROUTE_PERMISSIONS, TOOL_PERMISSIONS } from '../../auth';

const root = join(__dirname, '..', '..');

// prettier formats the tables, and it cannot load under jest: the check runs in its own process
test("the README's permission tables are the code's matrix (npm run docs:permissions)", () => {
  expect(() =>
    execFileSync(join(root, 'node_modules/.bin/tsx'), ['docs/permissions.ts', '--check'], {
      cwd: root,
      stdio: 'pipe',
    }),
  ).not.toThrow();
});

test('the tables name every route and every MCP tool once', () => {
  const tables = permissionTables();
  for (const name of [...Object.keys(ROUTE_PERMISSIONS), ...Object.keys(TOOL_PERMISSIONS)]) {
    expect(tables.split(`\`${name}\``).length - 1).toBe(1);
  }
});
