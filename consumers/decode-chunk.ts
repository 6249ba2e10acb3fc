import { decodeVector } from '../embedding/vector';
import { AkoshaError, issuesFrom } from '../infra/errors';
import { EmbeddedMessage } from '../schemas/embedded';
import { EMBEDDING_DIM } from '../schemas/record';
import type { ChunkInput } from '../storage/write-plan';

/** An embedded chunk from the wire, checked against its schema, its vectors decoded. */
export function decodeChunk(data: Uint8Array): ChunkInput | AkoshaError {
  try {
    const parsed = EmbeddedMessage.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    if (!parsed.success)
      return new AkoshaError('SCHEMA_INVALID', undefined, {
        issues: issuesFrom(parsed.error.issues),
      });
    const vectors = parsed.data.records.map((r) => decodeVector(r.vector, EMBEDDING_DIM));
    return { message: parsed.data, vectors };
  } catch (err) {
    return new AkoshaError('MALFORMED_JSON', (err as Error).message);
  }
}
