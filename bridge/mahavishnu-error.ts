/** Why a call to Mahavishnu failed. Every code is a failure for the breaker. */
export const MahavishnuErrorCodes = {
  MAHAVISHNU_TIMEOUT: 'no answer within the call timeout',
  MAHAVISHNU_UNREACHABLE: 'connection failed (refused, reset, DNS)',
  MAHAVISHNU_HTTP_ERROR: 'HTTP status >= 500',
  MAHAVISHNU_REJECTED: 'HTTP status 4xx (bad request, auth, missing session)',
  MAHAVISHNU_RPC_ERROR: 'JSON-RPC error object in the reply',
  MAHAVISHNU_TOOL_FAILED: 'the tool reported a failure (isError, or status failed/error)',
  MAHAVISHNU_BAD_RESPONSE: 'the reply is not a JSON-RPC response',
} as const;

export type MahavishnuErrorCode = keyof typeof MahavishnuErrorCodes;

export class MahavishnuError extends Error {
  readonly code: MahavishnuErrorCode;
  /** HTTP status or JSON-RPC error code, when there was one */
  readonly status: number | undefined;

  constructor(
    code: MahavishnuErrorCode,
    message: string,
    options: { status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'MahavishnuError';
    this.code = code;
    this.status = options.status;
  }
}
