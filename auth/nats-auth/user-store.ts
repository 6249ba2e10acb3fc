import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { z } from 'zod';
import { renderAuthConf } from './auth-conf';
import type { NatsUser } from './permissions';

const UsersFile = z.object({
  version: z.literal(1),
  users: z.array(
    z.object({
      name: z.string().min(1),
      kind: z.enum(['service', 'reader', 'system']),
      publicKey: z.string().regex(/^U[A-Z2-7]{55}$/),
    }),
  ),
});

/** The files of one `nats-auth` directory: users.json is the source, auth.conf is derived. */
export const authPaths = (dir: string) => ({
  users: join(dir, 'users.json'),
  authConf: join(dir, 'auth.conf'),
  systems: join(dir, 'systems'),
});

export function readUsers(dir: string): NatsUser[] {
  const file = authPaths(dir).users;
  if (!existsSync(file))
    throw new Error(`${file} does not exist: run "akosha nats-auth init --out ${dir}" first`);
  const parsed = UsersFile.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new Error(`${file} is not a nats-auth user list: ${parsed.error.message}`);
  return parsed.data.users;
}

/** Writes users.json, then auth.conf from it; each by rename, so a reload never reads half a file. */
export function writeUsers(dir: string, users: NatsUser[]): void {
  const paths = authPaths(dir);
  writeAtomically(paths.users, `${JSON.stringify({ version: 1, users }, null, 2)}\n`);
  writeAtomically(paths.authConf, renderAuthConf(users));
}

/** A new user key pair: the seed goes to `seedFile` (mode 0600, never overwritten), the public key is returned. */
export function createUserSeed(seedFile: string): string {
  const pair = createUser();
  writeFileSync(seedFile, `${new TextDecoder().decode(pair.getSeed())}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  return pair.getPublicKey();
}

/** A directory only its owner can enter (seeds live in it). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
