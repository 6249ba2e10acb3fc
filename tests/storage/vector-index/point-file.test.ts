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
  writeFileSync(path, Buffer.concat([Buffer.alloc(HEADER), Buffer.from(vectors.buffer), ...extras]));
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
  test('rows inside the budget are read from memory, the others from the file', async () => {
    const path = join(dir, 'points');
    writePoints(path, 0);
    const file = openPoints(path);
    const vectorBytes = ROWS * DIM * 4;
    // every vector and the first three extras (1 + 2 + 3 bytes), and one byte of the fourth
    expect(await file.loadResident(vectorBytes + 7)).toBe(vectorBytes + 7);
    expect(file.residentBytes).toBe(vectorBytes + 7);

    writePoints(path, 1); // the same file changed underneath: only file reads see it
    for (let row = 0; row < ROWS; row++)
      expect(vectorOf(file, row)).toEqual([0, 1, 2, 3].map((d) => row * DIM + d));
    expect(file.readExtra(2)!.toString()).toBe('ccc');
    expect(file.readExtra(3)!.toString()).toBe('eeee'); // straddles the prefix's end: the file
    expect(file.readExtra(5)!.toString()).toBe('gggggg');
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
