import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { Metrics } from '../infra';
import type { PulledMsg } from './pulled-message';

/**
 * Per-stage timestamps an upload collects on its way to its ingest-complete event, each in
 * ms since the epoch (fractional). A producer that sets `Akosha-T-Publish` asks for them;
 * each stage then copies what came in and adds its own, so the event carries them all.
 * Uploads without it carry none (no header is built for them).
 */
export const TRACE = {
  publish: 'Akosha-T-Publish',
  uploadStored: 'Akosha-T-Upload-Stored',
  embedReceived: 'Akosha-T-Embed-Received',
  embeddedStored: 'Akosha-T-Embedded-Stored',
  writeReceived: 'Akosha-T-Write-Received',
  commit: 'Akosha-T-Commit',
} as const;

const TRACE_NAMES = Object.values(TRACE);

/** The stages of akosha_stage_latency_seconds. */
export type StageName = 'upload_wait' | 'embed' | 'embedded_wait' | 'write' | 'announce';

/** When the stream stored the message (ms since the epoch), or undefined where unknown. */
export function storedAtMs(msg: PulledMsg): number | undefined {
  const ns = msg.info.timestampNanos;
  return ns ? ns / 1e6 : undefined;
}

/** Observes `to - from` (ms) under `stage`, when both ends are known. */
export function observeStage(
  metrics: Metrics,
  stage: StageName,
  fromMs: number | undefined,
  toMs: number | undefined,
): void {
  if (fromMs === undefined || toMs === undefined) return;
  metrics.stageLatency.observe({ stage }, Math.max(0, toMs - fromMs) / 1000);
}

/**
 * Headers for the next hop of a traced message: the trace it carries plus `stamps`; none
 * for a message its producer did not trace. A fresh object per publish (the publish adds
 * its own message id to it).
 */
export function nextTrace(
  from: MsgHdrs | undefined,
  stamps: Partial<Record<(typeof TRACE)[keyof typeof TRACE], number | undefined>>,
): MsgHdrs | undefined {
  if (!from?.has(TRACE.publish)) return undefined;
  const out = headers();
  for (const name of TRACE_NAMES) {
    const value = Number(from.get(name));
    if (from.has(name) && Number.isFinite(value)) out.set(name, String(value));
  }
  for (const [name, value] of Object.entries(stamps))
    if (value !== undefined) out.set(name, value.toFixed(3));
  return out;
}
