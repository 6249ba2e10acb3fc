/**
 * Every failure the pipeline handles carries a code. The code decides the ack:
 * retryable → nak with backoff, not retryable → dead letter and term; and the HTTP status
 * it is answered with (api/http-logging.ts): the message's fault 4xx, ours 5xx.
 */
export const ErrorCodes = {
  MALFORMED_JSON: { retryable: false, httpStatus: 400, summary: 'payload is not valid JSON' },
  SCHEMA_INVALID: {
    retryable: false,
    httpStatus: 400,
    summary: 'message does not match its schema',
  },
  SUBJECT_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: 'subject does not match the message',
  },
  INVALID_RECORD: {
    retryable: false,
    httpStatus: 400,
    summary: 'record does not match its schema',
  },
  EMBEDDING_DIMENSION: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedding has the wrong dimension',
  },
  EMBEDDING_NOT_FINITE: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedding holds NaN, Infinity or a non-number',
  },
  EMBEDDING_ZERO: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedding is all zeros (no direction)',
  },
  OVERSIZE: { retryable: false, httpStatus: 413, summary: 'message exceeds the size limit' },
  CHUNK_SHARD_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: "embedded chunk's shard differs from its system_id's or its subject's",
  },
  CHUNK_GROUP_NOT_OWNED: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedded chunk on a subject of a shard group this writer does not own',
  },
  CHUNK_CHECKSUM_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedded record content does not match its content_sha256',
  },
  CHUNK_VECTOR_INVALID: {
    retryable: false,
    httpStatus: 400,
    summary: 'embedded vector of the wrong dimension or with a non-finite component',
  },
  CHUNK_TOO_LARGE: {
    retryable: false,
    httpStatus: 413,
    summary: 'embedded chunk exceeds the bounds of an upload (records, content, tags, metadata)',
  },
  EMBEDDER_MISMATCH: {
    retryable: false,
    httpStatus: 409,
    summary: 'vectors of another model than the hot tier holds (replay after a re-embed)',
  },
  CLOUD_MANIFEST_INVALID: {
    retryable: false,
    httpStatus: 400,
    summary: "a cloud upload's manifest.json is missing, not JSON, or not Session-Buddy's",
  },
  CLOUD_PATH_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: "a cloud manifest's system_id, upload_id or file path differs from its key path",
  },
  CLOUD_SIZE_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: "a cloud file's size differs from its manifest",
  },
  CLOUD_CHECKSUM_MISMATCH: {
    retryable: false,
    httpStatus: 400,
    summary: "a cloud file's sha256 differs from its manifest",
  },
  CLOUD_GZIP_CORRUPT: {
    retryable: false,
    httpStatus: 400,
    summary: 'a cloud file marked gzip cannot be decompressed',
  },
  CLOUD_TOO_LARGE: {
    retryable: false,
    httpStatus: 413,
    summary: 'a cloud file exceeds AKOSHA_SB_MAX_FILE_BYTES (after decompression)',
  },
  CLOUD_FILE_MISSING: {
    retryable: false,
    httpStatus: 400,
    summary: 'a file the cloud manifest names is not in the bucket',
  },
  CLOUD_DB_UNREADABLE: {
    retryable: false,
    httpStatus: 400,
    summary: "a cloud upload's DuckDB file cannot be opened or read",
  },
  RETRIES_EXHAUSTED: {
    retryable: false,
    httpStatus: 503,
    summary: 'retryable failure on the last delivery',
  },
  POISON: {
    retryable: false,
    httpStatus: 500,
    summary: 'the process died handling this message alone (it crashes its handler)',
  },
  EMBEDDER_UNAVAILABLE: { retryable: true, httpStatus: 503, summary: 'embedder failed' },
  SINK_UNAVAILABLE: { retryable: true, httpStatus: 503, summary: 'a storage sink is unavailable' },
  PUBLISH_FAILED: { retryable: true, httpStatus: 503, summary: 'publishing to JetStream failed' },
  INTERNAL: { retryable: true, httpStatus: 500, summary: 'unexpected failure' },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface Issue {
  path: string;
  message: string;
}

export class AkoshaError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly issues: Issue[];

  constructor(
    code: ErrorCode,
    message?: string,
    options: { issues?: Issue[]; cause?: unknown } = {},
  ) {
    super(message ?? ErrorCodes[code].summary, { cause: options.cause });
    this.name = 'AkoshaError';
    this.code = code;
    this.retryable = ErrorCodes[code].retryable;
    this.issues = options.issues ?? [];
  }
}

/** Anything thrown that is not coded is treated as retryable: it may be a passing fault. */
export function toAkoshaError(err: unknown): AkoshaError {
  if (err instanceof AkoshaError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AkoshaError('INTERNAL', message, { cause: err });
}

/** zod issues → the `{path, message}` list carried by errors and dead letters. */
export function issuesFrom(
  zodIssues: readonly { path: readonly PropertyKey[]; message: string }[],
  prefix = '',
): Issue[] {
  return zodIssues.map((i) => ({
    path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
}
