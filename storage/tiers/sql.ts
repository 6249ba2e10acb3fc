import { EMBEDDING_DIM } from '../../schemas';

/** A 60-bit hash of a text, as BIGINT: stable across DuckDB versions (md5), summable. */
const hash60 = (text: string) => `('0x' || substr(md5(${text}), 1, 15))::BIGINT`;

/** Key of a record, the same in every tier. */
export const keyHashSql = (alias = '') => hash60(`${alias}system_id || chr(31) || ${alias}id`);

/** The fields every tier keeps unchanged (hot → warm drops the text and the float vector). */
const keptFields = (a: string) => [
  `${a}system_id`,
  `${a}id`,
  `${a}kind`,
  `${a}content_sha256`,
  `epoch_us(${a}ts)::VARCHAR`,
  `coalesce(${a}project, chr(0))`,
  `array_to_string(${a}tags, chr(30))`,
  `${a}metadata`,
  `${a}upload_id`,
  `${a}vector_source`,
  `${a}embedder_model`,
];

/** Hash of what a hot record and its warm copy have in common. */
export const keptHashSql = (alias = '') =>
  hash60(`concat_ws(chr(31), ${keptFields(alias).join(', ')})`);

/** Integer weights 1..997 for a position-sensitive checksum of an int8 vector (exact in DOUBLE). */
const WEIGHTS = `[${Array.from({ length: EMBEDDING_DIM }, (_, i) => ((i * 7919 + 13) % 997) + 1).join(',')}]::DOUBLE[]`;

/**
 * Hash of a whole warm row (also a cold row: Parquet gives arrays back as lists). The
 * vector enters as its weighted sum (exact integer arithmetic): rendering 384 numbers as
 * text per row would cost more than the whole copy.
 */
export const warmRowHashSql = (a = '') =>
  hash60(
    `concat_ws(chr(31), ${keptFields(a).join(', ')}, ${a}summary, ${a}content_chars::VARCHAR,
      list_dot_product(${a}vec_q::DOUBLE[], ${WEIGHTS})::BIGINT::VARCHAR, ${a}vec_scale::VARCHAR)`,
  );

/** count, key-hash sum, record-hash sum over a FROM clause (sums as decimal text). */
export const statsSql = (from: string, recordHash: string, keyHash = keyHashSql()) =>
  `SELECT count(*)::BIGINT AS n, coalesce(sum(${keyHash}), 0)::VARCHAR AS kh,
          coalesce(sum(${recordHash}), 0)::VARCHAR AS rh ${from}`;

/** 1-based start of the last `needle` in `text`, 0 when absent (needle of 2 chars). */
const lastPos = (text: string, needle: string) =>
  `(length(${text}) + 1 - strpos(reverse(${text}), '${[...needle].reverse().join('')}') - 1) * (strpos(reverse(${text}), '${[...needle].reverse().join('')}') > 0)::INTEGER`;

/**
 * Short extractive summary, deterministic and regex-free (fast): the whole sentences that
 * fit in 200 characters (line breaks and tabs as spaces); without a sentence end there,
 * the first 197 characters + "...". `head` is a column holding translate(left(content,
 * 201), …) — see summaryHeadSql.
 */
export const summaryHeadSql = (content: string) =>
  `translate(left(${content}, 201), chr(10) || chr(13) || chr(9), '   ')`;

export const summarySql = (head: string, length: string) => {
  const end = `greatest(${lastPos(head, '. ')}, ${lastPos(head, '! ')}, ${lastPos(head, '? ')})`;
  return `trim(CASE WHEN ${length} <= 200 THEN ${head}
    WHEN ${end} > 0 THEN left(${head}, ${end})
    ELSE left(${head}, 197) || '...' END)`;
};

/** max |v| of a FLOAT[384] */
export const scaleSql = (vec: string) =>
  `list_aggr(list_transform(${vec}::FLOAT[], x -> abs(x)), 'max')::FLOAT`;

/** q = round(v / scale * 127) as TINYINT[384] (the cast to TINYINT rounds) */
export const quantiseSql = (vec: string, scale: string) =>
  `list_transform(${vec}::FLOAT[], x -> x * (127 / greatest(${scale}, 1e-30)))::TINYINT[${EMBEDDING_DIM}]`;

/** v ≈ q * scale / 127 as FLOAT[384] */
export const dequantiseSql = (q: string, scale: string) =>
  `list_transform(${q}::TINYINT[], x -> (x * ${scale} / 127)::FLOAT)::FLOAT[${EMBEDDING_DIM}]`;

export const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A JS Date as a TIMESTAMP literal (UTC). */
export const tsSql = (d: Date) =>
  `TIMESTAMP ${sqlString(d.toISOString().replace('T', ' ').replace('Z', ''))}`;
