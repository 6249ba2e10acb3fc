/**
 * The JetStream consumers: embed stage, shard writers with their upkeep, knowledge-graph writer,
 * aging, advisories, and the decode, settle and dead-letter steps they share.
 * Exports the stages and the pieces operations reuse (decoding, embedding records, packing
 * chunks, announcing, dead-letter publishing and the retry policy).
 */

export { AdvisoryWatcher } from './advisories';
export { AgingConsumer } from './aging';
export { ANNOUNCE_GIVE_UP_MS, Announcer } from './announcer';
export { AnnounceFlags } from './announce-flags';
export type { AnnounceStore, SweepResult } from './announcer';
export { PayloadRefs } from './dead-letter-payloads';
export { DeadLetterPublisher } from './dead-letters';
export { decodeGraph } from './decode-graph';
export { decodeRecord, decodeUpload } from './decode-upload';
export type { DecodedUpload } from './decode-upload';
export { embedRecords } from './embed-records';
export type { RecordVectors } from './embed-records';
export { EmbedStage } from './embed-stage';
export { packChunks, toEmbeddedRecord } from './embedded-chunks';
export { GraphConsumer } from './graph';
export { HAND_OFF_DEFAULTS, HandOff } from './hand-off';
export type { PullTarget } from './loop-group';
export { backoffFor, deadLetter } from './settle';
export type { RetryPolicy } from './settle';
export { ShardWriter } from './shard-writer';
export type { StallStatus } from './sink-stall';
export { SuspectLog } from './suspects';
export { WriterUpkeep } from './writer-upkeep';
