import type { StreamConfig } from '@nats-io/jetstream';
import type { StreamDefinition } from './definitions';

/**
 * Stream settings where a lower value loses data or availability: fewer replicas, history
 * aged out sooner, a shorter dedupe window, messages rejected or discarded. An operator may
 * have raised them on the server (R3 in production); a start must not undo that.
 */
export const PROTECTED_FIELDS = [
  'num_replicas',
  'max_age',
  'duplicate_window',
  'max_msg_size',
  'max_bytes',
  'max_msgs',
  'max_msgs_per_subject',
] as const;

export type ProtectedField = (typeof PROTECTED_FIELDS)[number];

export interface KeptSetting {
  field: ProtectedField;
  /** what the server holds, kept */
  server: number;
  /** what the configuration asks for, lower */
  desired: number;
}

/** 0 or -1 means "no limit" for these fields, which is the highest value. */
function rank(field: ProtectedField, value: number | undefined): number {
  if (value === undefined) return Number.NaN;
  if (field === 'num_replicas' || field === 'duplicate_window') return value;
  return value <= 0 ? Number.POSITIVE_INFINITY : value;
}

/**
 * The update to send: the definition, except that every protected field the server holds
 * higher keeps the server's value unless `force`. Returns the fields so kept.
 */
export function guardStreamUpdate(
  server: Partial<StreamConfig>,
  desired: StreamDefinition,
  force: boolean,
): { config: StreamDefinition; kept: KeptSetting[] } {
  if (force) return { config: desired, kept: [] };
  const config: StreamDefinition = { ...desired };
  const kept: KeptSetting[] = [];
  for (const field of PROTECTED_FIELDS) {
    const held = server[field];
    const wanted = desired[field];
    if (held === undefined || wanted === undefined) continue;
    if (rank(field, held) > rank(field, wanted)) {
      config[field] = held;
      kept.push({ field, server: held, desired: wanted });
    }
  }
  return { config, kept };
}
