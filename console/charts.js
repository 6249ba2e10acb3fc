// @ts-check
import { h, s } from './dom.js';

/** Hand-drawn horizontal bar charts (SVG): one row per bar, stacked segments. */

/** @typedef {{ value: number, cls: string, name: string }} Segment */
/** @typedef {{ label: string, segments: Segment[] }} Bar */

const WIDTH = 640;
const LABEL_WIDTH = 150;
const VALUE_WIDTH = 96;
const ROW_HEIGHT = 28;
const BAR_HEIGHT = 16;

/** @param {Bar} bar */
const total = (bar) => bar.segments.reduce((n, seg) => n + seg.value, 0);

/** A label cut to fit its column; the whole of it in a tooltip. */
const fit = (/** @type {string} */ text, chars = 22) =>
  text.length > chars ? `${text.slice(0, chars - 1)}…` : text;

/**
 * @param {Bar} bar
 * @param {number} y
 * @param {number} scale  px per unit
 * @param {(n: number) => string} format
 */
function row(bar, y, scale, format) {
  const mid = y + ROW_HEIGHT / 2;
  const plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  let x = LABEL_WIDTH;
  const segments = bar.segments
    .filter((seg) => seg.value > 0)
    .map((seg) => {
      const width = Math.max(1.5, seg.value * scale);
      const rect = s(
        'rect',
        { x, y: mid - BAR_HEIGHT / 2, width, height: BAR_HEIGHT, class: `seg ${seg.cls}` },
        s('title', {}, `${bar.label} · ${seg.name}: ${format(seg.value)}`),
      );
      x += width;
      return rect;
    });
  return s(
    'g',
    { class: 'bar' },
    s(
      'text',
      { x: LABEL_WIDTH - 10, y: mid, class: 'label' },
      fit(bar.label),
      s('title', {}, bar.label),
    ),
    s('rect', {
      x: LABEL_WIDTH,
      y: mid - BAR_HEIGHT / 2,
      width: plot,
      height: BAR_HEIGHT,
      class: 'track',
    }),
    ...segments,
    s('text', { x: WIDTH - VALUE_WIDTH + 10, y: mid, class: 'value' }, format(total(bar))),
  );
}

/**
 * @param {Bar[]} bars
 * @param {{ title: string, format: (n: number) => string }} options
 */
export function barChart(bars, { title, format }) {
  const max = Math.max(1, ...bars.map(total));
  const scale = (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / max;
  const height = bars.length * ROW_HEIGHT + 4;
  return s(
    'svg',
    { viewBox: `0 0 ${WIDTH} ${height}`, class: 'chart', role: 'img', 'aria-label': title },
    s('title', {}, title),
    ...bars.map((bar, i) => row(bar, 2 + i * ROW_HEIGHT, scale, format)),
  );
}

/**
 * A legend of the segments' colours.
 * @param {{ cls: string, name: string }[]} items
 */
export const legend = (items) =>
  h(
    'ul',
    { class: 'legend' },
    ...items.map((item) => h('li', {}, h('span', { class: `swatch ${item.cls}` }), item.name)),
  );
