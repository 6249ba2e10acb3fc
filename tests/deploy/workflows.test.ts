/**
 * The GitHub workflows parse, run what .ci/run runs, and publish only from a version tag.
 * No runner executes them here: this checks their shape against .ci/run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  steps: Step[];
  strategy?: { matrix?: { node?: number[] } };
  container?: { image?: string };
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const allRuns = (w: Workflow) => Object.values(w.jobs).map(runs).join('\n');

/** `npm run X`, `npm test` and `.ci/X` commands of .ci/run, in order. */
function ciRunCommands(): string[] {
  const script = read('.ci/run');
  return [...script.matchAll(/^\s*(npm run [\w:]+|npm test|\.ci\/[\w-]+)/gm)].map((m) => m[1]!);
}

/** The Debian packages .ci/run installs when missing. */
function ciRunAptPackages(): string[] {
  return [...read('.ci/run').matchAll(/apt_packages\+=\(([\w.-]+)\)/g)].map((m) => m[1]!);
}

describe('ci.yml', () => {
  const ci = workflow('ci.yml');

  it('has the checks, tests on each Node LTS, fault tests, manifests and image jobs', () => {
    expect(Object.keys(ci.jobs).sort()).toEqual(
      ['checks', 'faults', 'image', 'manifests', 'tests'].sort(),
    );
    expect(ci.jobs.tests!.strategy?.matrix?.node).toEqual([22, 24]);
    expect(ci.jobs.faults!.strategy?.matrix?.node).toEqual([22, 24]);
    expect(ci.jobs.tests!.container?.image).toBe('node:${{ matrix.node }}-bookworm');
  });

  it('runs every check and test command of .ci/run', () => {
    const commands = ciRunCommands();
    for (const expected of [
      'npm run build',
      'npm run typecheck',
      'npm run lint',
      'npm run lint:secrets',
      '.ci/npm-audit',
      'npm test',
      'npm run test:faults',
    ]) {
      expect(commands).toContain(expected);
    }
    const yml = allRuns(ci);
    const missing = commands.filter(
      (c) => c !== '.ci/node24' && !new RegExp(`(^|\\s)${escapeRegExp(c)}(\\s|$)`, 'm').test(yml),
    );
    expect(missing).toEqual([]);
  });

  it('installs for the tests what .ci/run installs', () => {
    const packages = ciRunAptPackages();
    expect(packages).toEqual(expect.arrayContaining(['nats-server', 'prometheus', 'python3-onnx']));
    const install = runs(ci.jobs.tests!);
    expect(packages.filter((p) => !install.includes(p))).toEqual([]);
  });

  it('checks the deployment manifests and builds the image without pushing it', () => {
    expect(runs(ci.jobs.manifests!)).toContain('npx jest tests/deploy');
    const image = runs(ci.jobs.image!);
    expect(image).toContain('docker buildx build');
    expect(read('.github/workflows/ci.yml')).not.toMatch(/--push|push:\s*true|docker push/);
  });
});

describe('release.yml', () => {
  const release = workflow('release.yml');

  it('is started only by a pushed version tag', () => {
    expect(Object.keys(release.on)).toEqual(['push']);
    expect(release.on.push).toEqual({ tags: ['v*'] });
  });

  it('publishes the image only from a tag, only on github.com, with the workflow token', () => {
    const jobs = Object.values(release.jobs);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      expect(job.if).toContain("startsWith(github.ref, 'refs/tags/v')");
      expect(job.if).toContain("github.server_url == 'https://github.com'");
    }
    const steps = jobs.flatMap((j) => j.steps);
    const login = steps.find((s) => s.uses?.startsWith('docker/login-action@'));
    expect(login?.with).toMatchObject({
      registry: 'ghcr.io',
      password: '${{ secrets.GITHUB_TOKEN }}',
    });
    const build = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(build?.with?.push).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
