import type { NatsConnection } from '@nats-io/transport-node';

/**
 * A NATS connection for unit tests that never talk to NATS: a stage holds one for its
 * pull loops, which these tests do not start. Any use fails loudly.
 */
export const notConnected = new Proxy({} as NatsConnection, {
  get(_target, property) {
    throw new Error(`this unit test has no NATS connection (used: ${String(property)})`);
  },
});
