/**
 * The ingest-complete events bench:ingest waits for. Uploads are named `<prefix>-<i>`: an
 * event costs one parse, one array store and one counter per prefix (nothing is scanned),
 * and a phase's wait is a promise that the event completing its count resolves.
 */
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { TRACE } from '../consumers/stage-trace';
import { preciseNowMs } from '../infra/clock';
import { subjects } from '../streams/subjects';

/** The stamps an event's trace carries, in the order the stages set them. */
export const STAMPS = [
  TRACE.publish,
  TRACE.embedReceived,
  TRACE.embeddedStored,
  TRACE.writeReceived,
  TRACE.commit,
] as const;

/** What came back for the uploads of one prefix, by upload index. */
export interface PhaseEvents {
  total: number;
  received: number;
  duplicates: number;
  /** when the event arrived here (ms since the epoch); NaN while missing */
  eventAtMs: Float64Array;
  /** STAMPS[k] of upload i at stamps[k][i]; NaN where the event carried none */
  stamps: Float64Array[];
  /** resolves once every upload's event arrived */
  done: Promise<void>;
}

export class EventTracker {
  private readonly phases = new Map<string, PhaseEvents & { resolve: () => void }>();
  /** events of uploads of no phase (another run's, or the sustained phase's untracked ones) */
  unknown = 0;

  constructor(nc: NatsConnection) {
    nc.subscribe(subjects.ingestedAll, { callback: (_err, msg) => this.onEvent(msg) });
  }

  /** Starts counting the events of `<prefix>-0` … `<prefix>-<total - 1>`. */
  expect(prefix: string, total: number): PhaseEvents {
    let resolve: () => void = () => undefined;
    const done = new Promise<void>((r) => (resolve = r));
    const nan = () => new Float64Array(total).fill(NaN);
    const phase = {
      total,
      received: 0,
      duplicates: 0,
      eventAtMs: nan(),
      stamps: STAMPS.map(nan),
      done,
      resolve,
    };
    this.phases.set(prefix, phase);
    return phase;
  }

  private onEvent(msg: Msg): void {
    const at = preciseNowMs();
    const uploadId = (msg.json() as { upload_id: string }).upload_id;
    const dash = uploadId.lastIndexOf('-');
    const phase = this.phases.get(uploadId.slice(0, dash));
    const i = Number(uploadId.slice(dash + 1));
    if (!phase || !(i >= 0 && i < phase.total)) return void this.unknown++;
    if (!Number.isNaN(phase.eventAtMs[i]!)) return void phase.duplicates++;
    phase.eventAtMs[i] = at;
    if (msg.headers)
      STAMPS.forEach((name, k) => (phase.stamps[k]![i] = Number(msg.headers!.get(name) || NaN)));
    if (++phase.received === phase.total) phase.resolve();
  }
}

/** Waits for the phase's events, failing after `timeoutMs` with how many came. */
export async function waitForEvents(phase: PhaseEvents, timeoutMs = 600_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`only ${phase.received} of ${phase.total} events after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([phase.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
