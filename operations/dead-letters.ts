import { createHash } from 'node:crypto';
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { decodeRecord, decodeUpload } from '../consumers';
import { DeadLetter, type DeadLetterStage, shardOf } from '../schemas';
import { scanBatches, STREAM, subjects } from '../streams';
import { LetterPayloads, payloadSource } from './letter-payloads';

export interface DeadLetterFilter {
  stage?: DeadLetterStage | undefined;
  code?: string | undefined;
  systemId?: string | undefined;
  since?: Date | undefined;
}

export interface ListedLetter {
  /** sequence of the letter in AKOSHA_DLQ: what show, requeue and purge take */
  seq: number;
  letter: DeadLetter;
}

export interface LetterPage {
  letters: ListedLetter[];
  /** pass as afterSeq for the next page; absent on the last page */
  next?: number;
}

export interface ShownLetter extends ListedLetter {
  /** the payload as JSON when it parses, else as text; undefined when it is gone */
  payload: unknown;
  /** where the payload is: inline, an object of the payload bucket, or the source stream */
  payload_source: string;
}

export interface RequeueResult {
  seq: number;
  subject: string;
  msgId: string;
  /** set when a record was wrapped in an upload of its own */
  uploadId?: string;
  /** the broker had this requeue already (same Nats-Msg-Id within the duplicate window) */
  duplicate: boolean;
}

export interface RequeueOptions {
  /** corrected bytes: the whole message, or for a record letter the record's JSON */
  replacement?: Uint8Array | undefined;
  /** republish even when the payload still fails validation */
  force?: boolean | undefined;
  /** leave the letter in AKOSHA_DLQ after republishing */
  keep?: boolean | undefined;
}

/**
 * Operator tools on AKOSHA_DLQ: list and filter, show one letter with its payload,
 * requeue (re-drive) it, purge. Letters are addressed by their DLQ stream sequence.
 */
export class DeadLetterOps {
  private readonly payloads: LetterPayloads;

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly maxMessageBytes: number,
  ) {
    this.payloads = new LetterPayloads(js, jsm);
  }

  static async create(nc: NatsConnection, maxMessageBytes: number): Promise<DeadLetterOps> {
    return new DeadLetterOps(jetstream(nc), await jetstreamManager(nc), maxMessageBytes);
  }

  /** The same, on a process's JetStream client (the HTTP routes). */
  static async fromJetStream(js: JetStreamClient, maxMessageBytes: number): Promise<DeadLetterOps> {
    return new DeadLetterOps(js, await js.jetstreamManager(), maxMessageBytes);
  }

  /** Letters matching the filter in DLQ order, at most `limit` (default 100) after `afterSeq`. */
  async list(
    filter: DeadLetterFilter,
    page: { afterSeq?: number | undefined; limit?: number | undefined } = {},
  ): Promise<LetterPage> {
    const limit = page.limit ?? 100;
    const { first_seq: first, last_seq: last } = (await this.jsm.streams.info(STREAM.deadLetters))
      .state;
    // gets by sequence, not a consumer: letters are few, and 2.9 trips on the gaps deletes leave
    const batches = scanBatches(
      this.jsm,
      STREAM.deadLetters,
      filter.stage ? subjects.deadLetter(filter.stage) : subjects.deadLetterAll,
      Math.max(first, (page.afterSeq ?? 0) + 1),
      last,
      256,
    );
    const out: LetterPage = { letters: [] };
    for await (const batch of batches) {
      for (const msg of batch) {
        const letter = parseLetter(msg.data);
        if (!letter || !matches(letter, filter)) continue;
        if (out.letters.length === limit) return { ...out, next: out.letters.at(-1)!.seq };
        out.letters.push({ seq: msg.seq, letter });
      }
    }
    return out;
  }

  /** Every letter matching the filter (all pages). */
  async all(filter: DeadLetterFilter): Promise<ListedLetter[]> {
    const letters: ListedLetter[] = [];
    let afterSeq: number | undefined;
    for (;;) {
      const page = await this.list(filter, { afterSeq, limit: 1000 });
      letters.push(...page.letters);
      if (page.next === undefined) return letters;
      afterSeq = page.next;
    }
  }

  async get(seq: number): Promise<ListedLetter> {
    const stored = await this.jsm.streams.getMessage(STREAM.deadLetters, { seq });
    const letter = stored ? parseLetter(stored.data) : undefined;
    if (!letter) throw new Error(`no dead letter at ${STREAM.deadLetters} sequence ${seq}`);
    return { seq, letter };
  }

  async show(seq: number): Promise<ShownLetter> {
    const listed = await this.get(seq);
    const bytes = await this.payloads.bytes(listed.letter).catch(() => undefined);
    return {
      ...listed,
      payload: bytes === undefined ? undefined : decodePayload(bytes),
      payload_source: payloadSource(listed.letter),
    };
  }

  /**
   * Republishes the letter's payload to where it failed, then deletes the letter
   * and its payload object (in that order: a letter never points to nothing).
   * A 'message' letter goes back to its original subject; a 'record' letter is
   * wrapped in an upload of its own (see requeueUploadId) on its system's subject.
   * The Nats-Msg-Id derives from the letter's origin, so a requeue repeated within
   * the duplicate window is dropped by the broker, and the writer's chunk
   * bookkeeping recognises it after that.
   */
  async requeue(seq: number, opts: RequeueOptions = {}): Promise<RequeueResult> {
    const { letter } = await this.get(seq);
    const request =
      letter.payload_kind === 'record'
        ? await this.recordRequeue(letter, opts)
        : await this.messageRequeue(letter, opts);
    const ack = await this.js.publish(request.subject, request.body, { msgID: request.msgId });
    if (!opts.keep) {
      await this.jsm.streams.deleteMessage(STREAM.deadLetters, seq);
      await this.payloads.release(letter);
    }
    const { body: _body, ...rest } = request;
    return { seq, ...rest, duplicate: ack.duplicate };
  }

  /**
   * Deletes the letters matching the filter, one by one (2.9's purge by subject
   * misses messages after deletes), each followed by its payload object; returns
   * how many. No filter: the whole stream.
   */
  async purge(filter: DeadLetterFilter): Promise<number> {
    const letters = await this.all(filter);
    let purged = letters.length;
    if (Object.values(filter).every((v) => v === undefined))
      purged = (await this.jsm.streams.purge(STREAM.deadLetters)).purged;
    else
      for (const { seq } of letters) await this.jsm.streams.deleteMessage(STREAM.deadLetters, seq);
    for (const { letter } of letters) await this.payloads.release(letter);
    return purged;
  }

  private async messageRequeue(letter: DeadLetter, opts: RequeueOptions) {
    const body = opts.replacement ?? (await this.payloads.bytes(letter));
    if (!opts.force && letter.stream === STREAM.uploads)
      decodeUpload(letter.subject, body, this.maxMessageBytes); // throws while still invalid
    return {
      subject: letter.subject,
      body,
      msgId: `requeue:${letter.stream}:${letter.stream_seq}`,
    };
  }

  private async recordRequeue(letter: DeadLetter, opts: RequeueOptions) {
    const systemId = letter.system_id;
    if (systemId === undefined || letter.upload_id === undefined)
      throw new Error('record letter without system_id or upload_id');
    const raw = JSON.parse(
      Buffer.from(opts.replacement ?? (await this.payloads.bytes(letter))).toString('utf8'),
    ) as unknown;
    if (!opts.force) decodeRecord(raw, 0); // throws while still invalid
    const uploadId = requeueUploadId(letter);
    const upload = {
      schema_version: 1,
      upload_id: uploadId,
      system_id: systemId,
      created_at: new Date().toISOString(),
      source: { uploader: 'akosha-dlq-requeue' },
      records: [raw],
    };
    return {
      subject: subjects.upload(shardOf(systemId), systemId),
      body: Buffer.from(JSON.stringify(upload)),
      msgId: uploadId,
      uploadId,
    };
  }
}

/**
 * A requeued record travels in an upload of its own: `<upload_id>-rq-<12 hex>`,
 * the hex from sha256 of the letter's origin (stream, sequence, record id), so
 * requeueing the same letter again yields the same upload id; the original id is
 * cut to keep within 100 characters. "-" keeps the upload_id rules (no "..").
 */
export function requeueUploadId(letter: DeadLetter): string {
  const origin = `${letter.stream}:${letter.stream_seq}:${letter.record_id ?? '*'}`;
  const tag = createHash('sha256').update(origin).digest('hex').slice(0, 12);
  return `${(letter.upload_id ?? 'upload').slice(0, 100 - 16)}-rq-${tag}`;
}

function parseLetter(data: Uint8Array): DeadLetter | undefined {
  try {
    const parsed = DeadLetter.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function matches(letter: DeadLetter, f: DeadLetterFilter): boolean {
  if (f.code && letter.code !== f.code) return false;
  if (f.systemId && letter.system_id !== f.systemId) return false;
  if (f.since && Date.parse(letter.failed_at) < f.since.getTime()) return false;
  return true;
}

function decodePayload(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
