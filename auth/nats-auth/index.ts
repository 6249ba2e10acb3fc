import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SystemId } from '../../schemas';
import { inboxPrefixOf } from '../../infra';
import type { NatsUser } from './permissions';
import { authPaths, createUserSeed, ensurePrivateDir, readUsers, writeUsers } from './user-store';

export { permissionsOf, type NatsUser, type NatsUserKind } from './permissions';
export { renderAuthConf } from './auth-conf';
export { authPaths, readUsers } from './user-store';

export interface InitResult {
  authConf: string;
  serviceSeed: string;
  readerSeed: string;
}

/** Creates DIR with auth.conf, users.json, akosha.nk (the services) and reader.nk. */
export function initNatsAuth(dir: string): InitResult {
  const paths = authPaths(dir);
  if (existsSync(paths.users))
    throw new Error(
      `${paths.users} exists: this directory is set up already (add-system adds to it)`,
    );
  ensurePrivateDir(dir);
  const serviceSeed = join(dir, 'akosha.nk');
  const readerSeed = join(dir, 'reader.nk');
  const users: NatsUser[] = [
    { name: 'akosha', kind: 'service', publicKey: createUserSeed(serviceSeed) },
    { name: 'reader', kind: 'reader', publicKey: createUserSeed(readerSeed) },
  ];
  writeUsers(dir, users);
  return { authConf: paths.authConf, serviceSeed, readerSeed };
}

/**
 * Adds a system that may publish only its own uploads, graph and the audit events of its own
 * CLI runs; writes DIR/systems/ID.nk and a new auth.conf.
 */
export function addSystem(
  dir: string,
  id: string,
): { seedFile: string; authConf: string; inboxPrefix: string } {
  const parsed = SystemId.safeParse(id);
  if (!parsed.success)
    throw new Error(`invalid system id "${id}": ${parsed.error.issues[0]?.message}`);
  const systemId = parsed.data;
  const users = readUsers(dir);
  if (users.some((u) => u.kind === 'system' && u.name === systemId))
    throw new Error(`system ${systemId} has a user already (${join('systems', `${systemId}.nk`)})`);
  const paths = authPaths(dir);
  ensurePrivateDir(paths.systems);
  const seedFile = join(paths.systems, `${systemId}.nk`);
  const publicKey = createUserSeed(seedFile);
  writeUsers(dir, [...users, { name: systemId, kind: 'system', publicKey }]);
  return { seedFile, authConf: paths.authConf, inboxPrefix: inboxPrefixOf(publicKey) };
}
