import { nanos, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { preciseNowMs } from '../infra';

/** The part of a JetStream message the stages use; nats.js's JsMsg fits it too. */
export interface PulledMsg {
  subject: string;
  data: Uint8Array;
  /** stream sequence */
  seq: number;
  info: {
    stream: string;
    consumer: string;
    deliveryCount: number;
    pending: number;
    /** when the stream stored the message (ns since the epoch); absent where unknown */
    timestampNanos?: number;
  };
  ack(): void;
  nak(delayMs?: number): void;
  term(): void;
  /** in progress: the server restarts this delivery's ack_wait */
  working(): void;
  /** the message's headers (a trace of stage timestamps rides there: consumers/stage-trace.ts) */
  headers?: MsgHdrs | undefined;
  /** when this process received it (ms since the epoch, fractional); absent where unknown */
  receivedAtMs?: number | undefined;
}

/** A pulled message that knows whether it was settled (acked, nak'ed or terminated). */
export interface HeldMsg extends PulledMsg {
  readonly settled: boolean;
}

/**
 * A message delivered to our own pull request. Its reply subject is the ack
 * subject: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>
 * (servers with domains add two tokens after ACK and one at the end).
 */
export function toPulledMsg(nc: NatsConnection, msg: Msg): HeldMsg {
  const reply = msg.reply ?? '';
  const tokens = reply.split('.');
  const t = tokens.length === 9 ? tokens.slice(2) : tokens.slice(4);
  let settled = false;
  const respond = (body: string) => {
    settled = true;
    nc.publish(reply, body);
  };
  return {
    subject: msg.subject,
    data: msg.data,
    headers: msg.headers,
    receivedAtMs: preciseNowMs(),
    seq: Number(t[3]),
    info: {
      stream: t[0]!,
      consumer: t[1]!,
      deliveryCount: Number(t[2]),
      pending: Number(t[6]),
      timestampNanos: Number(t[5]),
    },
    get settled() {
      return settled;
    },
    ack: () => respond('+ACK'),
    nak: (delayMs?: number) =>
      respond(delayMs ? `-NAK ${JSON.stringify({ delay: nanos(delayMs) })}` : '-NAK'),
    term: () => respond('+TERM'),
    working: () => void (settled || nc.publish(reply, '+WPI')),
  };
}
