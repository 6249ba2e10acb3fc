import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PointFile } from '../../../storage/vector-index/point-file';

const DIM = 4;
const ROWS = 6;
const HEADER = 24; // bytes before the vectors, as a sidecar's header and columns
const EXTRAS = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'ffffff'].map((s) => Buffer.from(s));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'akosha-point-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file laid out as a sidecar: header, ROWS vectors, their extras; every value offset by `shift`. */
function writePoints(path: string, shift: number): void {
  const vectors = Float32Array.from({ length: ROWS * DIM }, (_, i) => i + shift);
  const extras = EXTRAS.map((b) => Buffer.from(b.map((c) => c + shift)));
  writeFileSync(
    path,
    Buffer.concat([Buffer.alloc(HEADER), Buffer.from(vectors.buffer), ...extras]),
  );
}

function openPoints(path: string): PointFile {
  return PointFile.open(path, {
    dimensions: DIM,
    rows: ROWS,
    vectorsAt: HEADER,
    extrasAt: HEADER + ROWS * DIM * 4,
    extraBytes: Uint32Array.from(EXTRAS, (b) => b.length),
  });
}

const vectorOf = (file: PointFile, row: number) => {
  const out = new Float32Array(DIM);
  file.readVectors(row, 1, out);
  return [...out];
};

describe('PointFile resident prefix', () => {
  test('the budget holds the extras first, then a prefix of the vectors', async () => {
    const path = join(dir, 'points');
    writePoints(path, 0);
    const file = openPoints(path);
    const extrasBytes = EXTRAS.reduce((n, b) => n + b.length, 0);
    // every extra, two vectors, and half of the third
    const budget = extrasBytes + 2 * DIM * 4 + 8;
    expect(await file.loadResident(budget)).toBe(budget);
    expect(file.residentBytes).toBe(budget);

    writePoints(path, 1); // the same file changed underneath: only file reads see it
    EXTRAS.forEach((b, row) => expect(file.readExtra(row)).toEqual(b));
    expect(vectorOf(file, 0)).toEqual([0, 1, 2, 3]);
    expect(vectorOf(file, 1)).toEqual([4, 5, 6, 7]);
    expect(vectorOf(file, 2)).toEqual([9, 10, 11, 12]); // straddles the prefix's end: the file
    expect(vectorOf(file, 5)).toEqual([21, 22, 23, 24]);
    file.close();
  });

  test('a budget smaller than the extras holds a prefix of them and no vector', async () => {
    const path = join(dir, 'points');
    writePoints(path, 0);
    const file = openPoints(path);
    expect(await file.loadResident(7)).toBe(7); // extras of rows 0–2 (6 bytes) and one more

    writePoints(path, 1);
    expect(file.readExtra(2)!.toString()).toBe('ccc');
    expect(file.readExtra(3)!.toString()).toBe('eeee');
    expect(vectorOf(file, 0)).toEqual([1, 2, 3, 4]);
    file.close();
  });

  test('the budget is capped at the rows region; 0 keeps every read on the file', async () => {
    const path = join(dir, 'points');
    writePoints(path, 0);
    const whole = openPoints(path);
    const region = ROWS * DIM * 4 + EXTRAS.reduce((n, b) => n + b.length, 0);
    expect(await whole.loadResident(10 * 2 ** 20)).toBe(region);
    const none = openPoints(path);
    expect(await none.loadResident(0)).toBe(0);

    writePoints(path, 1);
    expect(vectorOf(whole, 5)).toEqual([20, 21, 22, 23]);
    expect(vectorOf(none, 5)).toEqual([21, 22, 23, 24]);
    whole.close();
    none.close();
  });

  test('a file closed while its prefix loads keeps nothing in memory', async () => {
    const path = join(dir, 'points');
    writePoints(path, 0);
    const file = openPoints(path);
    const loading = file.loadResident(1024);
    file.close();
    expect(await loading).toBe(0);
    expect(file.residentBytes).toBe(0);
  });
});
