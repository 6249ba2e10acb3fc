import type { Logger } from '../infra';
import { fileStamp, readTokenFile, type TokenEntry } from './token-store';

const RECHECK_MS = 1000;

/**
 * The token file as a running server sees it: read again when it changed (checked at most once a
 * second, on use), so that `akosha token create|revoke` takes effect without a restart. A file
 * that is briefly invalid keeps the last good version in force.
 */
export class TokenRegistry {
  private byHash = new Map<string, TokenEntry>();
  private byName = new Map<string, TokenEntry>();
  private stamp = '';
  private checkedAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly file: string,
    private readonly log: Pick<Logger, 'warn' | 'info'>,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.refresh(true);
  }

  get size(): number {
    this.refresh();
    return this.byHash.size;
  }

  findByHash(sha256: string): TokenEntry | undefined {
    this.refresh();
    return this.byHash.get(sha256);
  }

  findByName(name: string): TokenEntry | undefined {
    this.refresh();
    return this.byName.get(name);
  }

  private refresh(force = false): void {
    const at = this.now();
    if (!force && at - this.checkedAt < RECHECK_MS) return;
    this.checkedAt = at;
    let stamp: string;
    try {
      stamp = fileStamp(this.file);
    } catch (err) {
      this.log.warn({ file: this.file, code: errorCode(err) }, 'token file: cannot stat it');
      return;
    }
    if (stamp === this.stamp) return;
    try {
      const entries = readTokenFile(this.file);
      this.byHash = new Map(entries.map((e) => [e.sha256, e]));
      this.byName = new Map(entries.map((e) => [e.name, e]));
      this.stamp = stamp;
      if (!force) this.log.info({ file: this.file, tokens: entries.length }, 'token file reloaded');
    } catch (err) {
      this.stamp = stamp; // warn once per bad version; a later change is read again
      // The message names the file and the field, never a hash or token.
      this.log.warn(
        { file: this.file, code: errorCode(err), reason: (err as Error).message },
        'token file is not valid; the last good version stays in force',
      );
    }
  }
}

function errorCode(err: unknown): string {
  return (err as { code?: string }).code ?? 'error';
}
