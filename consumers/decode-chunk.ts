import { AkoshaError, issuesFrom } from '../infra';
import { EmbeddedMessage } from '../schemas';
import type { ChunkInput } from '../storage';
import { decodeChunkVectors, verifyChunk, type ChunkOwner } from './verify-chunk';

/**
 * An embedded chunk from the wire, checked against its schema and, since anyone with
 * publish rights on its subject could have sent it, against what the writer can
 * recompute (verifyChunk); its vectors decoded and checked.
 */
export function decodeChunk(
  msg: { subject: string; data: Uint8Array },
  owner: ChunkOwner,
): ChunkInput | AkoshaError {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(msg.data).toString('utf8'));
  } catch (err) {
    return new AkoshaError('MALFORMED_JSON', (err as Error).message);
  }
  const parsed = EmbeddedMessage.safeParse(json);
  if (!parsed.success)
    return new AkoshaError('SCHEMA_INVALID', undefined, {
      issues: issuesFrom(parsed.error.issues),
    });
  const refused = verifyChunk(msg.subject, parsed.data, owner);
  if (refused) return refused;
  const vectors = decodeChunkVectors(parsed.data);
  return vectors instanceof AkoshaError ? vectors : { message: parsed.data, vectors };
}
