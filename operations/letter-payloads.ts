import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { PayloadRefs } from '../consumers';
import { AkoshaError } from '../infra';
import type { DeadLetter } from '../schemas';

/**
 * Finds a letter's payload: inline, in the payload bucket (checked against its
 * sha256), or, for letters that have neither, in the source stream while that
 * still holds the original message.
 */
export class LetterPayloads {
  private readonly refs: PayloadRefs;

  constructor(
    js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {
    this.refs = new PayloadRefs(js);
  }

  async bytes(letter: DeadLetter): Promise<Uint8Array> {
    if (letter.payload_base64 !== undefined) return Buffer.from(letter.payload_base64, 'base64');
    if (letter.payload_ref !== undefined) return this.refs.read(letter.payload_ref);
    const original = await this.original(letter);
    if (letter.payload_kind === 'message') return original;
    return Buffer.from(JSON.stringify(recordOf(original, letter)));
  }

  /** Deletes the letter's payload object, if it has one; call after deleting the letter. */
  async release(letter: DeadLetter): Promise<void> {
    if (letter.payload_ref !== undefined) await this.refs.remove(letter.payload_ref);
  }

  private async original(letter: DeadLetter): Promise<Uint8Array> {
    const stored = await this.jsm.streams.getMessage(letter.stream, { seq: letter.stream_seq });
    if (!stored)
      throw new Error(
        `payload not inlined and ${letter.stream} sequence ${letter.stream_seq} is gone`,
      );
    return stored.data;
  }
}

/** Where `dlq show` says the payload is. */
export function payloadSource(letter: DeadLetter): string {
  if (letter.payload_base64 !== undefined) return 'inline';
  const ref = letter.payload_ref;
  if (ref !== undefined) return `object ${ref.bucket}/${ref.name} (sha256 ${ref.sha256})`;
  return `stream ${letter.stream} sequence ${letter.stream_seq}`;
}

function recordOf(original: Uint8Array, letter: DeadLetter): unknown {
  const upload = JSON.parse(Buffer.from(original).toString('utf8')) as { records?: unknown[] };
  const records = upload.records ?? [];
  const byIndex = /^#(\d+)$/.exec(letter.record_id ?? '');
  const found = byIndex
    ? records[Number(byIndex[1])]
    : records.find((r) => (r as { id?: unknown } | null)?.id === letter.record_id);
  if (found === undefined) throw new AkoshaError('INVALID_RECORD', 'record not found in upload');
  return found;
}
