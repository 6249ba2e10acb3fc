import { check, type Observed } from '../../faults/checker';
import { AckLedger } from '../../faults/ledger';
import type { DeadLetter } from '../../schemas/dead-letter';
import type { IngestedEvent } from '../../schemas/ingested';
import { STREAM } from '../../streams/definitions';
import { record, upload } from '../helpers/uploads';

const a = upload('sys-a', 'up-1', [record('r1', 'one'), record('r2', 'two')]);
const b = upload('sys-a', 'up-2', [record('r1', 'new text, same key'), record('r3', 'two')]);
const unacked = upload('sys-a', 'up-3', [record('r4', 'four')]);

function ledger(): AckLedger {
  const l = new AckLedger();
  for (const u of [a, b, unacked]) l.attempt(u);
  l.ack(a);
  l.ack(b);
  l.invalidSeqs.add(7);
  return l;
}

const event = (uploadId: string) => ({ system_id: 'sys-a', upload_id: uploadId }) as IngestedEvent;
const letter = (stream: string, seq: number) =>
  ({ stream, stream_seq: seq, stage: 'validate', code: 'MALFORMED_JSON' }) as DeadLetter;

function observed(keys: [string, number][], overrides: Partial<Observed> = {}): Observed {
  return {
    stored: { counts: new Map(keys), perTier: { hot: keys.length, warm: 0, cold: 0 } },
    events: [event('up-1'), event('up-2')],
    letters: [letter(STREAM.uploads, 7)],
    quiet: {
      quiet: true,
      busy: [],
      embeddedLeft: 0,
      embeddedLeftSample: [],
      embeddedAckedLeft: 0,
      phantomAckPending: [],
      waitedMs: 0,
    },
    maxDelivered: [],
    ...overrides,
  };
}

describe('lost-ack checker', () => {
  const good: [string, number][] = [
    ['sys-a/r1', 1],
    ['sys-a/r2', 1],
  ];

  it('passes a run where every acked record is held once and every acked upload announced once', () => {
    const verdict = check('t', ledger().expectation(), observed(good));
    expect(verdict.examples).toEqual([]);
    expect(verdict).toMatchObject({ ok: true, ackedUploads: 2, ackedRecords: 2, stored: 2 });
  });

  it('accepts either key of two records with one text, and an unacked upload stored or not', () => {
    const other: [string, number][] = [
      ['sys-a/r1', 1],
      ['sys-a/r3', 1],
      ['sys-a/r4', 1],
    ];
    expect(check('t', ledger().expectation(), observed(other)).ok).toBe(true);
  });

  it('finds a lost record, a key held in two tiers and both keys of one text', () => {
    const lost = check('t', ledger().expectation(), observed([['sys-a/r2', 1]]));
    expect(lost).toMatchObject({ ok: false, lost: 1 });
    const twice = check(
      't',
      ledger().expectation(),
      observed([
        ['sys-a/r1', 2],
        ['sys-a/r2', 1],
      ]),
    );
    expect(twice).toMatchObject({ ok: false, duplicated: 1 });
    const both = check('t', ledger().expectation(), observed([...good, ['sys-a/r3', 1]]));
    expect(both).toMatchObject({ ok: false, duplicated: 1 });
  });

  it('finds uploads announced twice or never, and letters for anything but the invalid messages', () => {
    const events = [event('up-1'), event('up-1')];
    expect(check('t', ledger().expectation(), observed(good, { events }))).toMatchObject({
      ok: false,
      announcedTwice: 1,
      neverAnnounced: 1,
    });
    const letters = [letter(STREAM.embedded, 3)];
    expect(check('t', ledger().expectation(), observed(good, { letters }))).toMatchObject({
      ok: false,
      wrongLetters: 2,
    });
  });

  it('finds a message that reached max_deliver without a letter', () => {
    const maxDelivered = [{ stream: STREAM.embedded, stream_seq: 9 }];
    expect(check('t', ledger().expectation(), observed(good, { maxDelivered }))).toMatchObject({
      ok: false,
      wrongLetters: 1,
    });
  });

  it('fails a run that left chunks in the hand-off stream', () => {
    const quiet = {
      quiet: true,
      busy: [],
      embeddedLeft: 4,
      embeddedLeftSample: [],
      embeddedAckedLeft: 0,
      phantomAckPending: [],
      waitedMs: 0,
    };
    expect(check('t', ledger().expectation(), observed(good, { quiet }))).toMatchObject({
      ok: false,
      stranded: 4,
    });
  });
});
