import { EMBEDDING_DIM } from '../schemas';

/** One DuckDB file per shard: its memories and the bookkeeping that makes writes idempotent. */
export const HOT_SHARD_DDL = (db: string) => [
  `CREATE TABLE IF NOT EXISTS ${db}.memories (
    system_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    content VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    project VARCHAR,
    tags VARCHAR[] NOT NULL,
    metadata VARCHAR NOT NULL,
    embedding FLOAT[${EMBEDDING_DIM}] NOT NULL,
    vector_source VARCHAR NOT NULL,
    embedder_model VARCHAR NOT NULL,
    upload_id VARCHAR NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    PRIMARY KEY (system_id, id)
  )`,
  // A text longer than the model's window: one vector per passage (the record's own
  // vector is their mean). Written in the record's transaction, deleted with it.
  `CREATE TABLE IF NOT EXISTS ${db}.memory_passages (
    system_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    passage INTEGER NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    embedding FLOAT[${EMBEDDING_DIM}] NOT NULL
  )`,
  // One row per (upload, part of part_count, chunk of chunk_count) written: a retry that
  // splits the upload another way writes new rows. A redelivered chunk is recognised here
  // and its first outcome is reported again instead of counting its records as duplicates.
  `CREATE TABLE IF NOT EXISTS ${db}.upload_chunks (
    system_id VARCHAR NOT NULL,
    upload_id VARCHAR NOT NULL,
    part INTEGER NOT NULL,
    part_count INTEGER NOT NULL,
    chunk INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    stored_ids VARCHAR[] NOT NULL,
    duplicate_ids VARCHAR[] NOT NULL,
    rejected_ids VARCHAR[] NOT NULL,
    upload_seq BIGINT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (system_id, upload_id, part, part_count, chunk, chunk_count)
  )`,
  // Every record key the shard ever stored, whatever tier holds the record now: what
  // dedupe looks at. Written with the record, kept through tier moves, removed only by
  // retention (by ts).
  `CREATE TABLE IF NOT EXISTS ${db}.record_keys (
    system_id VARCHAR NOT NULL,
    id VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,
    ts TIMESTAMP NOT NULL,
    PRIMARY KEY (system_id, id)
  )`,
  // Which tiers' records are in record_keys (files from before it are filled once).
  `CREATE TABLE IF NOT EXISTS ${db}.record_keys_filled (
    tier VARCHAR PRIMARY KEY,
    filled_at TIMESTAMP NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS ${db}.uploads_completed (
    system_id VARCHAR NOT NULL,
    upload_id VARCHAR NOT NULL,
    completed_at TIMESTAMP NOT NULL,
    event_published BOOLEAN NOT NULL,
    PRIMARY KEY (system_id, upload_id)
  )`,
];

export const shardDbName = (shard: number) => `s${String(shard).padStart(3, '0')}`;
export const shardFileName = (shard: number) => `shard-${String(shard).padStart(3, '0')}.duckdb`;
