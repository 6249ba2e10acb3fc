import { AkoshaError, issuesFrom } from '../infra';
import { GraphMessage, shardOf } from '../schemas';
import { parseGraphSubject } from '../streams';

/**
 * One graph message from the wire: size, JSON, schema, and its subject
 * akosha.graph.<shard>.<system_id> against its system_id (a system may publish only
 * under its own id, so the subject is what the broker vouches for).
 */
export function decodeGraph(
  subject: string,
  data: Uint8Array,
  maxBytes: number,
): GraphMessage | AkoshaError {
  if (data.byteLength > maxBytes)
    return new AkoshaError('OVERSIZE', `message is ${data.byteLength} bytes, limit ${maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (err) {
    return new AkoshaError(
      'MALFORMED_JSON',
      `payload is not valid JSON: ${(err as Error).message}`,
    );
  }
  const parsed = GraphMessage.safeParse(json);
  if (!parsed.success)
    return new AkoshaError('SCHEMA_INVALID', undefined, {
      issues: issuesFrom(parsed.error.issues),
    });
  const expected = parseGraphSubject(subject);
  const shard = shardOf(parsed.data.system_id);
  if (expected?.systemId !== parsed.data.system_id || expected.shard !== shard)
    return new AkoshaError(
      'SUBJECT_MISMATCH',
      `subject ${subject} does not match system_id ${parsed.data.system_id} (shard ${shard})`,
    );
  return parsed.data;
}
