import { SYSTEM_AUDIT_ACTIONS, subjects } from '../../streams';
import { inboxPrefixOf } from '../../infra';

/** Who a generated user is: Akosha's services, the downstream reader, or one producing system. */
export type NatsUserKind = 'service' | 'reader' | 'system';

export interface NatsUser {
  /** `akosha`, `reader`, or the system id */
  name: string;
  kind: NatsUserKind;
  /** the user's nkey public key (`U...`); the seed never leaves its file */
  publicKey: string;
}

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

const INGESTED_STREAM = 'AKOSHA_INGESTED';

/**
 * What a user may do. Allow-lists only: whatever is not listed is refused, so a system
 * cannot publish on akosha.embedded.>, akosha.ingested.>, akosha.aging.> or any audit subject
 * but its own runs', call any other $JS.API (stream reads, purges, deletes) or write a KV
 * bucket ($KV.>).
 * Each user reads replies only on its own inbox prefix (nats.js `inboxPrefix`).
 * Akosha's services have no list: every right.
 */
export function permissionsOf(user: NatsUser): NatsPermissions | undefined {
  const inbox = `${inboxPrefixOf(user.publicKey)}.>`;
  switch (user.kind) {
    case 'service':
      return undefined;
    case 'reader':
      return {
        publish: { allow: readerApi(INGESTED_STREAM) },
        subscribe: { allow: [subjects.ingestedAll, inbox] },
      };
    case 'system':
      return {
        publish: {
          allow: [
            subjects.uploadsOfSystem(user.name),
            subjects.graphOfSystem(user.name),
            // its own `akosha publish` / `import-session-buddy` runs, and no other audit event
            ...SYSTEM_AUDIT_ACTIONS.map((action) => subjects.auditOfSystem(action, user.name)),
          ],
        },
        subscribe: { allow: [inbox] },
      };
  }
}

/** Consuming one stream: its info, creating and reading consumers on it, fetching and acking. */
function readerApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.>`,
    `$JS.API.CONSUMER.NAMES.${stream}`,
    `$JS.API.CONSUMER.LIST.${stream}`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$JS.ACK.${stream}.>`,
  ];
}
