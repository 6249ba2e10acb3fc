/** Tables of bench:cloud, as Markdown. */
import { measureDigest, median } from './cloud-data';
import type { PickupRun } from './cloud-pickup';
import type { ReuploadRun } from './cloud-reupload';
import { fmt } from './lib';
import { markdownTable } from './load-report';

export async function digestTable(keys: number): Promise<string> {
  const d = await measureDigest(keys);
  return markdownTable(
    [
      'keys',
      'sha256→64 bit µs/key',
      'add µs/key',
      'has µs/key',
      'heap MiB',
      'bytes/key',
      'toBytes ms',
      'fromBytes ms',
    ],
    [
      [
        fmt(d.keys),
        fmt(d.hashPerKeyUs, 2),
        fmt(d.addPerKeyUs, 2),
        fmt(d.hasPerKeyUs, 2),
        fmt(d.heapMiB, 1),
        fmt(d.bytes / d.keys, 2),
        fmt(d.toBytesMs),
        fmt(d.fromBytesMs),
      ],
    ],
  );
}

export function reuploadTable(runs: { digest: ReuploadRun; noDigest: ReuploadRun }[]): string {
  const row = (
    label: string,
    pick: (r: (typeof runs)[number]) => ReuploadRun,
    rate: (r: ReuploadRun) => number,
  ) => {
    const list = runs.map(pick);
    const m = (f: (r: ReuploadRun) => number) => median(list.map(f));
    return [
      label,
      fmt(m((r) => r.records)),
      fmt(m((r) => r.published)),
      fmt(m((r) => r.unchanged)),
      fmt(m((r) => r.duplicate)),
      fmt(m((r) => r.stored)),
      fmt(
        m((r) => r.importS),
        2,
      ),
      fmt(
        m((r) => r.storedS),
        2,
      ),
      fmt(m(rate)),
      fmt(m((r) => r.records / r.storedS)),
    ];
  };
  return markdownTable(
    [
      're-upload (99 % stored)',
      'records',
      'published',
      'skipped at importer',
      'writer duplicates',
      'stored',
      'import s',
      'until stored s',
      'old records/s skipped or deduplicated',
      'records/s whole re-upload',
    ],
    [
      // the importer's own pace: digest load, read, hash and skip, publish of the 1 %, save
      row(
        'with digest',
        (r) => r.digest,
        (r) => r.unchanged / r.importS,
      ),
      row(
        'digest removed',
        (r) => r.noDigest,
        (r) => r.duplicate / r.storedS,
      ),
    ],
  );
}

export function pickupTable(runs: PickupRun[]): string {
  const m = (f: (r: PickupRun) => number, digits = 0) => fmt(median(runs.map(f)), digits);
  return markdownTable(
    [
      'uploads (1,000 records each)',
      'first put → all stored s',
      'uploads/min',
      'records/s',
      'discover ms',
      'per upload: download ms',
      'read + publish ms',
      'ingest to stored ms',
    ],
    [
      [
        m((r) => r.uploads),
        m((r) => r.totalS, 1),
        m((r) => r.perMinute),
        m((r) => (r.uploads * 1000) / r.totalS),
        m((r) => r.discoverMs),
        m((r) => r.downloadMs),
        m((r) => r.serviceMs - r.downloadMs),
        m((r) => r.ingestMs),
      ],
    ],
  );
}
