import type { CliAction } from '../audit';
import type { PublishResult } from '../producers';
import { SYSTEM_ID_PATTERN } from '../schemas';
import type { SystemAuditAction } from '../streams';

/** Upload ids named in the event; the detail counts them all. */
const IDS_SHOWN = 5;

/**
 * What one `akosha publish` or `import-session-buddy` run published, for its one audit event:
 * filled as the broker acks each upload, so a run that fails half-way says what got through.
 */
export class SystemRunAudit {
  private system: string | undefined;
  private readonly ids: string[] = [];
  private firstSeq: number | undefined;
  private lastSeq: number | undefined;
  private readonly counts = { uploads: 0, records: 0, duplicates: 0 };
  private readonly extra: Record<string, unknown> = {};

  constructor(
    private readonly action: SystemAuditAction,
    system?: string,
  ) {
    this.forSystem(system);
  }

  /** Once the system is known (a publish reads it from the file); an invalid id is left out. */
  forSystem(system: string | undefined): void {
    // read from a JSON file: its type is not checked yet
    const valid = typeof system === 'string' && SYSTEM_ID_PATTERN.test(system);
    this.system = valid ? system : undefined;
  }

  published(result: PublishResult): void {
    if (this.ids.length < IDS_SHOWN) this.ids.push(result.upload_id);
    for (const seq of result.seqs) {
      this.firstSeq = Math.min(seq, this.firstSeq ?? seq);
      this.lastSeq = Math.max(seq, this.lastSeq ?? seq);
    }
    this.counts.uploads += 1;
    this.counts.records += result.records;
    if (result.duplicate) this.counts.duplicates += 1;
  }

  /** Facts besides the uploads (the graph import's totals). */
  note(key: string, value: unknown): void {
    this.extra[key] = value;
  }

  toAction(): CliAction {
    const target = {
      ...(this.ids.length > 0 && { ids: this.ids }),
      // first and last AKOSHA_UPLOADS sequence the run was acked with
      ...(this.firstSeq !== undefined && { sequence: [this.firstSeq, this.lastSeq ?? 0] }),
    };
    const detail = { ...this.counts, ...this.extra };
    if (this.system === undefined) return { action: this.action, target, detail };
    return { action: this.action, ofSystem: this.system, target, detail };
  }
}
