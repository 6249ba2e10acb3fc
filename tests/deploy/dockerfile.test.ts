/**
 * The Dockerfile and its build context, read as text (no Docker engine here):
 * scripts/check-image-layout.sh runs what its runtime stage holds.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './compose-stack';

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages: continuation lines joined, comments dropped. */
function stages(): Stage[] {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'));
  const logical = lines.join('\n').replace(/\\\n/g, ' ').split('\n').filter(Boolean);
  const result: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', args = ''] = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [, base = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args) ?? [];
      result.push({ name, base, instructions: [] });
    } else if (upper && result.length > 0)
      result.at(-1)!.instructions.push({ keyword: upper, args });
  }
  return result;
}

const all = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  const built = stages();
  const runtime = built.at(-1)!;

  it('builds in stages, on Node 22 LTS by default', () => {
    expect(built.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(
      /^ARG NODE_IMAGE=node:22-bookworm-slim$/m,
    );
    for (const stage of built) expect(stage.base).toBe('${NODE_IMAGE}');
  });

  it('runs as a user other than root', () => {
    const user = all(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('has a health check on /health that needs no curl', () => {
    const check = all(runtime, 'HEALTHCHECK').join(' ');
    expect(check).toMatch(/CMD \["node"/);
    expect(check).toContain('/health');
    expect(all(runtime, 'EXPOSE')).toEqual(['8682']);
  });

  it('ships production dependencies only', () => {
    const copies = all(runtime, 'COPY');
    const modules = copies.find((c) => /node_modules/.test(c));
    const from = /--from=(\S+)/.exec(modules ?? '')?.[1];
    const deps = built.find((s) => s.name === from);
    expect(deps).toBeDefined();
    const installs = all(deps!, 'RUN').filter((r) => /npm (ci|install)/.test(r));
    expect(installs).not.toEqual([]);
    for (const run of installs) expect(run).toMatch(/npm ci --omit=dev/);
    // nothing else installs packages into the runtime stage
    for (const run of all(runtime, 'RUN')) expect(run).not.toMatch(/npm (ci|install)/);
  });

  it('starts node under tini, which forwards SIGTERM for the drain', () => {
    const entrypoint = JSON.parse(all(runtime, 'ENTRYPOINT').at(-1) ?? '[]') as string[];
    expect(entrypoint.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(all(runtime, 'RUN').join(' ')).toMatch(/apt-get install [^&]*\btini\b/);
    expect(JSON.parse(all(runtime, 'CMD').at(-1) ?? '[]')).toEqual(['start']);
  });

  it('takes in only what the build reads: the built folders, the package files, never .env', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignore[0]).toBe('**');
    const allowed = new Set(ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
    const isAllowed = (path: string) =>
      [...allowed].some((a) => a === path || (a.endsWith('/') && path.startsWith(a)));
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      files: string[];
    };
    const shipped = pkg.files.filter((f) => !f.startsWith('!') && !f.startsWith('dist'));
    const needed = [
      ...['package.json', 'package-lock.json', '.npmrc', 'tsconfig.json', 'tsconfig.build.json'],
      ...build.include.map((folder) => `${folder}/`),
      ...shipped,
    ];
    expect(needed.filter((path) => !isAllowed(path))).toEqual([]);
    expect(isAllowed('.env')).toBe(false);
  });

  it('keeps .env out of git', () => {
    const check = spawnSync('git', ['check-ignore', '-q', '.env'], { cwd: ROOT });
    expect(check.status).toBe(0);
  });
});
