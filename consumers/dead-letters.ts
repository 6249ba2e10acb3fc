import type { JetStreamClient } from '@nats-io/jetstream';
import type { PulledMsg } from './pulled-message';
import type { AkoshaError, Metrics } from '../infra';
import {
  type DeadLetter,
  type DeadLetterStage,
  MAX_INLINE_PAYLOAD_BYTES,
  type PayloadRef,
} from '../schemas';
import { subjects } from '../streams';
import { DeadLetterPayloads, payloadObjectName } from './dead-letter-payloads';

export interface DeadLetterContext {
  uploadId?: string | undefined;
  systemId?: string | undefined;
  recordId?: string | undefined;
  /** set for one record of an otherwise valid upload; absent for the whole message */
  recordPayload?: Uint8Array;
}

/** Where a stage sends what it cannot handle (DeadLetterPublisher, or a fake in unit tests). */
export interface DeadLetterSink {
  publish(
    stage: DeadLetterStage,
    msg: PulledMsg,
    err: AkoshaError,
    ctx?: DeadLetterContext,
  ): Promise<void>;
}

/**
 * Publishes dead letters with the reason code, the validation issues, the source
 * stream sequence and the payload. The message id makes a redelivered failure
 * produce one letter, not two. A payload over the inline limit is written to the
 * payload bucket first, so a letter never points to nothing; if that write fails,
 * publish rejects and the caller naks the message (nothing is lost).
 */
export class DeadLetterPublisher implements DeadLetterSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly metrics: Metrics,
    private readonly payloads = new DeadLetterPayloads(js),
  ) {}

  async publish(
    stage: DeadLetterStage,
    msg: PulledMsg,
    err: AkoshaError,
    ctx: DeadLetterContext = {},
  ): Promise<void> {
    const payload = ctx.recordPayload ?? msg.data;
    const ref =
      payload.byteLength > MAX_INLINE_PAYLOAD_BYTES
        ? await this.payloads.put(
            payloadObjectName(msg.info.stream, msg.seq, ctx.recordId),
            payload,
          )
        : undefined;
    const letter = buildDeadLetter(stage, msg, err, ctx, ref);
    const msgID = `dlq:${letter.stream}:${letter.stream_seq}:${ctx.recordId ?? '*'}`;
    await this.js.publish(subjects.deadLetter(stage), JSON.stringify(letter), { msgID });
    this.metrics.deadLetters.inc({ stage, code: err.code });
  }
}

export function buildDeadLetter(
  stage: DeadLetterStage,
  msg: PulledMsg,
  err: AkoshaError,
  ctx: DeadLetterContext,
  ref?: PayloadRef,
): DeadLetter {
  const payload = ctx.recordPayload ?? msg.data;
  const inline = payload.byteLength <= MAX_INLINE_PAYLOAD_BYTES;
  return {
    schema_version: 1,
    stage,
    code: err.code,
    reason: err.message,
    issues: err.issues,
    stream: msg.info.stream,
    stream_seq: msg.seq,
    subject: msg.subject,
    delivery_count: msg.info.deliveryCount,
    ...(ctx.uploadId !== undefined && { upload_id: ctx.uploadId }),
    ...(ctx.systemId !== undefined && { system_id: ctx.systemId }),
    ...(ctx.recordId !== undefined && { record_id: ctx.recordId }),
    payload_kind: ctx.recordPayload ? 'record' : 'message',
    ...(inline && { payload_base64: Buffer.from(payload).toString('base64') }),
    ...(ref !== undefined && { payload_ref: ref }),
    payload_bytes: payload.byteLength,
    failed_at: new Date().toISOString(),
  };
}

/** upload_id and system_id of an upload or embedded chunk, when the payload has them. */
export function contextOf(data: Uint8Array): { uploadId?: string; systemId?: string } {
  try {
    const m = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    return {
      ...(typeof m.upload_id === 'string' && { uploadId: m.upload_id }),
      ...(typeof m.system_id === 'string' && { systemId: m.system_id }),
    };
  } catch {
    return {};
  }
}
