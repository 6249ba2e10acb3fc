import { RequestError, TimeoutError, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { LimitError } from '../limits/errors';
import type { ReplyCheck } from './replies';

/** Why a call to a query endpoint gave no answer. */
export class QueryCallError extends Error {
  constructor(
    readonly reason: 'timeout' | 'error',
    /** the endpoint's error code; `no_responders` when nobody listens, `bad_reply` for a reply of another shape */
    readonly code: string,
    /** the HTTP status the endpoint gave (its `Nats-Service-Error-Code`), or ours for the above */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'QueryCallError';
  }

  /** As the HTTP layer answers it (api/limits: `{error: code, message}` with the status). */
  toHttp(noResponders = 'writer_unavailable'): LimitError {
    if (this.reason === 'timeout') return new LimitError(504, 'writer_timeout', this.message);
    const code = this.code === 'no_responders' ? noResponders : this.code;
    return new LimitError(this.status, code, this.message);
  }
}

/** Request-reply to the query endpoints, each call under its own deadline. */
export class QueryClient {
  constructor(
    private readonly nc: NatsConnection,
    readonly timeoutMs: number,
  ) {}

  /** One request; the reply checked by `check`. Throws QueryCallError. */
  async call<T>(subject: string, body: string, check: ReplyCheck<T>): Promise<T> {
    return this.decode(await this.send(subject, body), check);
  }

  /** The reply message, or why there is none. */
  protected async send(subject: string, body: string): Promise<Msg> {
    try {
      return await this.nc.request(subject, body, { timeout: this.timeoutMs });
    } catch (err) {
      throw failureOf(err, this.timeoutMs);
    }
  }

  /** The endpoint's error, or its reply parsed and checked. */
  protected decode<T>(msg: Msg, check: ReplyCheck<T>): T {
    const code = msg.headers?.get('Nats-Service-Error-Code');
    if (code) throw endpointError(msg, Number(code));
    const parsed = check.safeParse(parseJson(msg));
    if (!parsed.success)
      throw new QueryCallError('error', 'bad_reply', 502, 'reply of an unknown shape');
    return parsed.data;
  }
}

function parseJson(msg: Msg): unknown {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
}

function endpointError(msg: Msg, status: number): QueryCallError {
  const body = parseJson(msg) as { error?: unknown; message?: unknown } | undefined;
  const code = typeof body?.error === 'string' ? body.error : 'internal';
  const message = msg.headers?.get('Nats-Service-Error') || 'query endpoint failed';
  return new QueryCallError('error', code, Number.isInteger(status) ? status : 500, message);
}

function failureOf(err: unknown, timeoutMs: number): QueryCallError {
  const timedOut =
    err instanceof TimeoutError ||
    (err instanceof RequestError && err.cause instanceof TimeoutError);
  if (timedOut)
    return new QueryCallError('timeout', 'timeout', 504, `no answer within ${timeoutMs} ms`);
  if (err instanceof RequestError && err.isNoResponders())
    return new QueryCallError('error', 'no_responders', 503, 'no query endpoint listens');
  return new QueryCallError('error', 'unreachable', 503, (err as Error).message);
}
