/** ISO-8601 → microseconds since epoch. A timestamp without offset is taken as UTC. */
export function isoToMicros(iso: string): bigint {
  const hasOffset = /(Z|[+-]\d\d:?\d\d)$/i.test(iso);
  const ms = Date.parse(hasOffset ? iso : `${iso}Z`);
  if (Number.isNaN(ms)) throw new Error(`invalid timestamp: ${iso}`);
  return BigInt(ms) * 1000n;
}

/** SQL expression that renders a TIMESTAMP column as ISO-8601 UTC with milliseconds. */
export const isoSql = (column: string) => `strftime(${column}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
