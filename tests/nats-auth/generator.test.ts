import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addSystem, initNatsAuth, readUsers } from '../../auth/nats-auth';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('akosha nats-auth files', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'akosha-nats-auth-gen-'));
    dir = join(root, 'auth');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('init writes seeds 0600 in a 0700 directory, and users.json holds no seed', () => {
    const result = initNatsAuth(dir);
    expect(mode(dir)).toBe(0o700);
    for (const seed of [result.serviceSeed, result.readerSeed]) {
      expect(mode(seed)).toBe(0o600);
      expect(readFileSync(seed, 'utf8')).toMatch(/^SU[A-Z2-7]+\n$/);
    }
    const users = readFileSync(join(dir, 'users.json'), 'utf8');
    expect(users).not.toMatch(/"S[A-Z]/);
    expect(readUsers(dir).map((u) => [u.name, u.kind])).toEqual([
      ['akosha', 'service'],
      ['reader', 'reader'],
    ]);
  });

  it('init refuses a directory that is set up already', () => {
    initNatsAuth(dir);
    expect(() => initNatsAuth(dir)).toThrow(/exists/);
  });

  it('add-system adds a user, writes systems/ID.nk, and keeps the others', () => {
    initNatsAuth(dir);
    const before = readUsers(dir);
    const { seedFile } = addSystem(dir, 'sys-a');
    expect(seedFile).toBe(join(dir, 'systems', 'sys-a.nk'));
    expect(mode(seedFile)).toBe(0o600);
    expect(mode(join(dir, 'systems'))).toBe(0o700);
    expect(readUsers(dir)).toEqual([...before, expect.objectContaining({ name: 'sys-a' })]);
    const conf = readFileSync(join(dir, 'auth.conf'), 'utf8');
    expect(conf).toContain('"akosha.uploads.*.sys-a"');
    // the audit events of its own runs, and no wider audit right
    expect(conf).toContain('"akosha.audit.publish.sys-a"');
    expect(conf).toContain('"akosha.audit.import_session_buddy.sys-a"');
    expect(conf).not.toMatch(/akosha\.audit\.[^"]*[*>]/);
  });

  it('add-system refuses an id that is not a subject token, and a second user for one id', () => {
    initNatsAuth(dir);
    expect(() => addSystem(dir, 'a.b')).toThrow(/invalid system id "a.b"/);
    expect(() => addSystem(dir, '>')).toThrow(/invalid system id/);
    addSystem(dir, 'sys-a');
    expect(() => addSystem(dir, 'sys-a')).toThrow(/has a user already/);
  });

  it('add-system without init says to run init', () => {
    expect(() => addSystem(dir, 'sys-a')).toThrow(/nats-auth init/);
  });

  it('nats-server 2.9 accepts the generated auth.conf through include', () => {
    initNatsAuth(dir);
    addSystem(dir, 'sys-a');
    const conf = join(root, 'nats.conf');
    writeFileSync(conf, 'port: -1\njetstream {}\ninclude "auth/auth.conf"\n');
    const check = spawnSync('/usr/sbin/nats-server', ['-t', '-c', conf], { encoding: 'utf8' });
    expect(check.stderr + check.stdout).toMatch(/valid/);
    expect(check.status).toBe(0);
  });
});
