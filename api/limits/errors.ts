/**
 * A request refused by a limit: its HTTP status, a reason code clients can act on, and a
 * message that names the limit (never anything internal). The HTTP error handler sends it
 * as `{error: reason, message, ...detail}`.
 */
export class LimitError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly detail: Record<string, unknown> = {},
    /** seconds, sent as Retry-After */
    readonly retryAfterS?: number,
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

export const jsonTooDeep = (max: number): LimitError =>
  new LimitError(400, 'json_too_deep', `JSON nests deeper than ${max} levels`, {
    max_depth: max,
  });

export const bodyTooLarge = (limitBytes: number): LimitError =>
  new LimitError(413, 'body_too_large', `request body is larger than ${limitBytes} bytes`, {
    limit_bytes: limitBytes,
  });
