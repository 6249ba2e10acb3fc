import { permissionsOf, type NatsPermissions, type NatsUser } from './permissions';

/**
 * auth.conf for `include` in nats.conf: one `authorization` block of nkey users, all in
 * the global account, so JetStream needs no account setup (nats-server 2.9+).
 */
export function renderAuthConf(users: NatsUser[]): string {
  const entries = users.map((user) => userEntry(user)).join('\n');
  return [
    '# Written by `akosha nats-auth`; users.json beside it is the source. Do not edit by hand:',
    '# run `akosha nats-auth add-system ID --out DIR`, then reload nats-server.',
    'authorization {',
    '  users = [',
    entries,
    '  ]',
    '}',
    '',
  ].join('\n');
}

function userEntry(user: NatsUser): string {
  const permissions = permissionsOf(user);
  const head = `    # ${user.kind}: ${user.name}\n    { nkey: ${quote(user.publicKey)}`;
  if (!permissions) return `${head} }`;
  return `${head}, permissions: ${renderPermissions(permissions)} }`;
}

function renderPermissions(p: NatsPermissions): string {
  return `{ publish: { allow: ${list(p.publish.allow)} }, subscribe: { allow: ${list(p.subscribe.allow)} } }`;
}

const list = (subjects: string[]) => `[${subjects.map(quote).join(', ')}]`;

/** Subjects and keys hold no quotes or backslashes; JSON quoting keeps `$` and `>` literal. */
const quote = (value: string) => JSON.stringify(value);
