/**
 * A 5×7 bitmap font (upper case, digits, a little punctuation) for chart labels: each glyph
 * is 7 rows of 5 bits in hex, the high bit the leftmost pixel. Lower case prints as upper.
 */
import type { Raster } from './png';

const GLYPHS: Record<string, string> = {
  '0': '0E11131519110E',
  '1': '040C040404040E',
  '2': '0E11010204081F',
  '3': '1F02040201110E',
  '4': '02060A121F0202',
  '5': '1F101E0101110E',
  '6': '0608101E11110E',
  '7': '1F010204080808',
  '8': '0E11110E11110E',
  '9': '0E11110F01020C',
  A: '0E1111111F1111',
  B: '1E11111E11111E',
  C: '0E11101010110E',
  D: '1C12111111121C',
  E: '1F10101E10101F',
  F: '1F10101E101010',
  G: '0E11101711110F',
  H: '1111111F111111',
  I: '0E04040404040E',
  J: '0702020202120C',
  K: '11121418141211',
  L: '1010101010101F',
  M: '111B1515111111',
  N: '11111915131111',
  O: '0E11111111110E',
  P: '1E11111E101010',
  Q: '0E11111115120D',
  R: '1E11111E141211',
  S: '0F10100E01011E',
  T: '1F040404040404',
  U: '1111111111110E',
  V: '11111111110A04',
  W: '1111111515150A',
  X: '11110A040A1111',
  Y: '1111110A040404',
  Z: '1F01020408101F',
  ' ': '00000000000000',
  '.': '00000000000C0C',
  ',': '000000000C0408',
  '-': '0000001F000000',
  '+': '0004041F040400',
  '=': '00001F001F0000',
  '%': '18190204081303',
  ':': '000C0C000C0C00',
  '/': '00010204081000',
  '(': '02040808080402',
  ')': '08040202020408',
};

export const GLYPH_WIDTH_PX = 6; // 5 pixels and a gap
export const GLYPH_HEIGHT_PX = 7;

/** Draws `text` with its top-left corner at (x, y), `scale` pixels per font pixel. */
export function drawText(
  raster: Raster,
  text: string,
  x: number,
  y: number,
  rgb: readonly [number, number, number],
  scale = 1,
): void {
  [...text.toUpperCase()].forEach((ch, i) => {
    const glyph = GLYPHS[ch] ?? GLYPHS[' ']!;
    for (let row = 0; row < GLYPH_HEIGHT_PX; row++) {
      const bits = parseInt(glyph.slice(row * 2, row * 2 + 2), 16);
      for (let col = 0; col < 5; col++) {
        if (!(bits & (0x10 >> col))) continue;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++)
            raster.set(x + (i * GLYPH_WIDTH_PX + col) * scale + dx, y + row * scale + dy, rgb);
      }
    }
  });
}

export const textWidthPx = (text: string, scale = 1) => text.length * GLYPH_WIDTH_PX * scale;
