import type { DeadLetter } from '../schemas/dead-letter';
import type { IngestedEvent } from '../schemas/ingested';
import { STREAM } from '../streams/definitions';
import { uploadKey, type Expectation } from './ledger';
import type { Quiet } from './observe';
import type { StoredKeys } from './stored-keys';

/** The verdict of one run, in the shape of the README's fault table. */
export interface Verdict {
  scenario: string;
  ackedUploads: number;
  /** records the acknowledged uploads must leave stored (a group of equal texts counts once) */
  ackedRecords: number;
  stored: number;
  lost: number;
  /** keys held more than once over the tiers, or more than one key of one text */
  duplicated: number;
  /** keys no published upload carried */
  unexpected: number;
  announcedTwice: number;
  /** acknowledged uploads without an event, plus events of uploads never published */
  neverAnnounced: number;
  deadLetters: number;
  /** letters for anything but the deliberately invalid messages, plus invalid ones and max_deliver advisories with none */
  wrongLetters: number;
  /** hand-off chunks or consumer work left after the wait for quiet */
  stranded: number;
  ok: boolean;
  /** a few examples of each failure, for the log */
  examples: string[];
}

export interface Observed {
  stored: StoredKeys;
  events: IngestedEvent[];
  letters: DeadLetter[];
  quiet: Quiet;
  /** MAX_DELIVERIES advisories heard during the run: each needs a letter */
  maxDelivered: { stream: string; stream_seq: number }[];
}

type Findings = Record<string, string[]>;

/** Lost, duplicated and unknown record keys over hot, warm and cold. */
function checkKeys(expect: Expectation, stored: StoredKeys): Findings {
  const count = (k: string) => stored.counts.get(k) ?? 0;
  const held = expect.groups.map((g) => g.keys.filter((k) => count(k) > 0).length);
  const known = new Set([
    ...expect.keys,
    ...expect.maybeKeys,
    ...expect.groups.flatMap((g) => g.keys),
  ]);
  return {
    lost: [
      ...[...expect.keys].filter((k) => count(k) === 0),
      ...expect.groups.filter((g, i) => g.acked && held[i] === 0).map((g) => g.keys.join('|')),
    ],
    duplicated: [
      ...[...stored.counts].filter(([, n]) => n > 1).map(([k]) => k),
      ...expect.groups.filter((_, i) => held[i]! > 1).map((g) => g.keys.join('|')),
    ],
    unexpected: [...stored.counts.keys()].filter((k) => !known.has(k)),
  };
}

/** Exactly one ingest-complete event per acknowledged upload, none for anything else. */
function checkEvents(expect: Expectation, events: IngestedEvent[]): Findings {
  const seen = new Map<string, number>();
  for (const e of events) {
    const key = uploadKey(e.system_id, e.upload_id);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return {
    'announced twice': [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    'never announced': [...expect.uploads].filter((k) => !seen.has(k)),
    'announced, never published': [...seen.keys()].filter(
      (k) => !expect.uploads.has(k) && !expect.maybeUploads.has(k),
    ),
  };
}

/** The DLQ holds a letter for each deliberately invalid or poison message and nothing else. */
function checkLetters(
  expect: Expectation,
  letters: DeadLetter[],
  maxDelivered: Observed['maxDelivered'],
): Findings {
  const lettered = new Set<string>();
  const wrong = letters.filter((l) => {
    const seq = l.stream === STREAM.uploads && expect.invalidSeqs.has(l.stream_seq);
    const poison = uploadKey(l.system_id ?? '', l.upload_id ?? '');
    if (seq) lettered.add(`seq:${l.stream_seq}`);
    else if (expect.poisonUploads.has(poison)) lettered.add(poison);
    return !seq && !expect.poisonUploads.has(poison);
  });
  const meant = [...[...expect.invalidSeqs].map((s) => `seq:${s}`), ...expect.poisonUploads];
  const letterOf = new Set(letters.map((l) => `${l.stream}/${l.stream_seq}`));
  return {
    'max_deliver without letter': maxDelivered
      .map((m) => `${m.stream}/${m.stream_seq}`)
      .filter((m) => !letterOf.has(m)),
    'wrong dead letters': wrong.map((l) => `${l.stage}/${l.code}/${l.upload_id ?? l.stream_seq}`),
    'invalid without letter': meant.filter((m) => !lettered.has(m)),
  };
}

/** Jepsen-style queue check: what the broker acked is stored once and announced once, nothing else. */
export function check(scenario: string, expect: Expectation, seen: Observed): Verdict {
  const f: Findings = {
    ...checkKeys(expect, seen.stored),
    ...checkEvents(expect, seen.events),
    ...checkLetters(expect, seen.letters, seen.maxDelivered),
  };
  const n = (name: string) => f[name]!.length;
  const examples = Object.entries(f)
    .filter(([, items]) => items.length > 0)
    .map(([what, items]) => `${what} (${items.length}): ${items.slice(0, 3).join(', ')}`);
  const stranded = seen.quiet.embeddedLeft + seen.quiet.busy.length;
  if (stranded) examples.push(`stranded: ${JSON.stringify(seen.quiet)}`);
  const ackedRecords = expect.keys.size + expect.groups.filter((g) => g.acked).length;
  const verdict = {
    scenario,
    ackedUploads: expect.uploads.size,
    ackedRecords,
    stored: ackedRecords - n('lost'),
    lost: n('lost'),
    duplicated: n('duplicated'),
    unexpected: n('unexpected'),
    announcedTwice: n('announced twice'),
    neverAnnounced: n('never announced') + n('announced, never published'),
    deadLetters: seen.letters.length,
    wrongLetters:
      n('wrong dead letters') + n('invalid without letter') + n('max_deliver without letter'),
    stranded,
    examples,
  };
  const failures = Object.values(f).reduce((sum, items) => sum + items.length, stranded);
  return { ...verdict, ok: failures === 0 && expect.uploads.size > 0 };
}
