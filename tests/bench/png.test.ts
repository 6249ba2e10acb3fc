import { crc32, inflateSync } from 'node:zlib';
import { lineChart, tickStep } from '../../bench/chart';
import { Raster } from '../../bench/png';

/** The chunks of a PNG file, each with its CRC checked against node:zlib's. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const typed = png.subarray(at + 4, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(typed));
    out.push({ type: typed.subarray(0, 4).toString('ascii'), data: typed.subarray(4) });
    at += 12 + length;
  }
  return out;
}

describe('bench PNG encoder', () => {
  it('writes a PNG whose header and pixels read back', () => {
    const r = new Raster(3, 2);
    r.set(1, 1, [10, 20, 30]);
    const png = r.toPng();
    expect(png.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
    const [ihdr, idat, iend] = chunks(png);
    expect(ihdr!.type).toBe('IHDR');
    expect([
      ihdr!.data.readUInt32BE(0),
      ihdr!.data.readUInt32BE(4),
      ihdr!.data[8],
      ihdr!.data[9],
    ]).toEqual([3, 2, 8, 2]);
    const raw = inflateSync(idat!.data);
    expect(raw.length).toBe(2 * (1 + 3 * 3));
    expect([...raw.subarray(10 + 1 + 3, 10 + 1 + 6)]).toEqual([10, 20, 30]);
    expect(iend!.type).toBe('IEND');
  });

  it('draws a chart with round ticks', () => {
    expect([tickStep(9), tickStep(700), tickStep(0)]).toEqual([2, 200, 1]);
    const png = lineChart({
      title: 'rss',
      xLabel: 'minutes',
      yLabel: 'MiB',
      series: [
        {
          name: 'a',
          rgb: [200, 0, 0],
          points: [
            [0, 1],
            [1, 2],
          ],
        },
      ],
    });
    expect(chunks(png).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
  });
});
