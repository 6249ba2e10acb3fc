/** A line chart drawn into a PNG: axes from zero, round ticks, one line per series, a legend. */
import { drawText, GLYPH_HEIGHT_PX, textWidthPx } from './font';
import { Raster } from './png';

type Rgb = readonly [number, number, number];

export interface Series {
  name: string;
  rgb: Rgb;
  /** [x, y] in data units, x ascending */
  points: [number, number][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** labelled vertical lines, such as where each scenario starts */
  markers?: { x: number; label: string }[];
  widthPx?: number;
  heightPx?: number;
}

const INK: Rgb = [40, 40, 40];
const GRID: Rgb = [225, 225, 225];
const MARKER: Rgb = [60, 90, 170];
const MARGIN = { left: 70, right: 20, top: 40, bottom: 45 };

/** A round tick step (1, 2 or 5 × 10^n) giving about five ticks up to `max`. */
export function tickStep(max: number): number {
  const raw = max / 5 || 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
}

const label = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

function line(r: Raster, x0: number, y0: number, x1: number, y1: number, rgb: Rgb): void {
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const x = x0 + (x1 - x0) * t;
    const y = y0 + (y1 - y0) * t;
    r.set(x, y, rgb);
    r.set(x, y + 1, rgb); // two pixels thick
  }
}

export function lineChart(spec: ChartSpec): Buffer {
  const r = new Raster(spec.widthPx ?? 900, spec.heightPx ?? 420);
  const plot = {
    x: MARGIN.left,
    y: MARGIN.top,
    w: r.width - MARGIN.left - MARGIN.right,
    h: r.height - MARGIN.top - MARGIN.bottom,
  };
  const all = spec.series.flatMap((s) => s.points);
  const xStep = tickStep(Math.max(...all.map(([x]) => x), 1));
  const yStep = tickStep(Math.max(...all.map(([, y]) => y), 1) * 1.1);
  const xMax = Math.ceil(Math.max(...all.map(([x]) => x), 1) / xStep) * xStep;
  const yMax = Math.ceil((Math.max(...all.map(([, y]) => y), 1) * 1.1) / yStep) * yStep;
  const px = (x: number) => plot.x + (x / xMax) * plot.w;
  const py = (y: number) => plot.y + plot.h - (y / yMax) * plot.h;

  for (let y = 0; y <= yMax + 1e-9; y += yStep) {
    line(r, plot.x, py(y), plot.x + plot.w, py(y), GRID);
    drawText(r, label(y), plot.x - 6 - textWidthPx(label(y)), py(y) - 3, INK);
  }
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    line(r, px(x), plot.y, px(x), plot.y + plot.h, GRID);
    drawText(r, label(x), px(x) - textWidthPx(label(x)) / 2, plot.y + plot.h + 8, INK);
  }
  for (const m of spec.markers ?? []) {
    line(r, px(m.x), plot.y + plot.h - 14, px(m.x), plot.y, MARKER);
    drawText(r, m.label, px(m.x) + 3, plot.y + plot.h - 12, MARKER);
  }
  line(r, plot.x, plot.y, plot.x, plot.y + plot.h, INK);
  line(r, plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, INK);
  drawText(r, spec.title, plot.x, 12, INK, 2);
  drawText(r, spec.xLabel, plot.x + plot.w / 2 - textWidthPx(spec.xLabel) / 2, r.height - 16, INK);
  drawText(r, spec.yLabel, 6, plot.y - 14, INK);

  spec.series.forEach((s, i) => {
    for (let k = 1; k < s.points.length; k++) {
      const [xa, ya] = s.points[k - 1]!;
      const [xb, yb] = s.points[k]!;
      line(r, px(xa), py(ya), px(xb), py(yb), s.rgb);
    }
    const lx = plot.x + plot.w - textWidthPx(s.name) - 30;
    const ly = plot.y + 8 + i * (GLYPH_HEIGHT_PX + 6);
    line(r, lx, ly + 3, lx + 20, ly + 3, s.rgb);
    drawText(r, s.name, lx + 26, ly, INK);
  });
  return r.toPng();
}
